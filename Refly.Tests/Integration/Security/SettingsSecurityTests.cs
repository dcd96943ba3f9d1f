using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.Core.Campaigns;
using Refly.Core.Automation;
using Refly.Core.Settings;
using Refly.KlaviyoSandbox;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Security;

/// <summary>Settings: the Klaviyo key encrypted at rest and overriding configuration; hashed automation tokens.</summary>
public sealed class SettingsSecurityTests
{
    [Fact]
    public async Task StoredKlaviyoKey_IsNotInTheSqliteFile_AndOverridesConfiguration()
    {
        await using var sandbox = await KlaviyoSandboxServer.StartAsync(new KlaviyoSandboxOptions { Seed = SandboxSeeds.Empty });
        await using var factory = new ReflyAppFactory(new Dictionary<string, string?>
        {
            ["Klaviyo:BaseUrl"] = sandbox.BaseUrl.ToString(),
            // Configuration holds a key Klaviyo no longer accepts; the one saved in Settings must win over it.
            ["Klaviyo:ApiKey"] = "pk_configured_but_revoked_0123456",
            ["Klaviyo:SyncInterval"] = "01:00:00",
        });
        _ = factory.ServerAddress;
        var settings = factory.Services.GetRequiredService<SettingsService>();
        var keys = factory.Services.GetRequiredService<KlaviyoKeyService>();
        var tester = factory.Services.GetRequiredService<KlaviyoConnectionTester>();

        var configured = await tester.TestAsync(CancellationToken.None);
        Assert.False(configured.Succeeded, configured.Message);

        // Bad input is refused with the reason and changes nothing.
        foreach (var bad in new[] { "", "sk_live_123", "pk_has space", "pk_" + new string('a', 300) })
        {
            var refused = await keys.SaveKeyAsync(bad, CancellationToken.None);
            Assert.False(refused.Succeeded);
            Assert.NotEmpty(refused.Errors);
        }
        Assert.Null(factory.Services.GetRequiredService<KlaviyoApiKeySettings>().Stored);

        // A key Klaviyo rejects is not saved, and the reason never repeats the key.
        const string wrongKey = "pk_stored_wrong_key_0123_abcdef";
        var rejected = await keys.SaveKeyAsync(wrongKey, CancellationToken.None);
        Assert.False(rejected.Succeeded);
        Assert.Contains("Klaviyo rejected the API key", Assert.Single(rejected.Errors), StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, rejected.Errors[0], StringComparison.Ordinal);
        Assert.Null(factory.Services.GetRequiredService<KlaviyoApiKeySettings>().Stored);

        // The right key stored wins over configuration: connected, named account.
        Assert.True((await keys.SaveKeyAsync(sandbox.ApiKey, CancellationToken.None)).Succeeded);
        var connected = await tester.TestAsync(CancellationToken.None);
        Assert.True(connected.Succeeded, connected.Message);
        Assert.StartsWith("Connected to Klaviyo account", connected.Message, StringComparison.Ordinal);

        // Not in clear anywhere in the database files (main file and WAL), and shown masked on the page.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var keyBytes = Encoding.UTF8.GetBytes(sandbox.ApiKey);
        var keyTail = Encoding.UTF8.GetBytes(sandbox.ApiKey[3..]);
        foreach (var file in Directory.GetFiles(factory.DataFolder, "refly.db*"))
        {
            var bytes = await ReadSharedAsync(file);
            Assert.True(bytes.AsSpan().IndexOf(keyBytes) < 0, $"{Path.GetFileName(file)} holds the key in clear");
            Assert.True(bytes.AsSpan().IndexOf(keyTail) < 0, $"{Path.GetFileName(file)} holds the key's body in clear");
        }
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(factory.DataFolder, "keys"), "*.xml"));

        using var admin = await factory.CreateSignedInClientAsync();
        var html = WebUtility.HtmlDecode(await admin.GetStringAsync("/settings"));
        Assert.DoesNotContain(sandbox.ApiKey, html, StringComparison.Ordinal);
        Assert.Contains(factory.Services.GetRequiredService<KlaviyoApiKeySettings>().Masked!, html, StringComparison.Ordinal);

        // Read back after a reload from the database (as after a restart).
        await settings.LoadAsync(CancellationToken.None);
        Assert.Equal(sandbox.ApiKey, factory.Services.GetRequiredService<KlaviyoApiKeySettings>().Stored);

        // Removing it falls back to configuration (whose key Klaviyo rejects).
        await keys.RemoveKeyAsync(CancellationToken.None);
        Assert.Null(factory.Services.GetRequiredService<KlaviyoApiKeySettings>().Stored);
        Assert.False((await tester.TestAsync(CancellationToken.None)).Succeeded);
    }

    [Fact]
    public async Task StoredLlmKey_IsNotInTheSqliteFile_NorOnThePage_AndOnlyAdminsOpenSettings()
    {
        const string llmKey = "test_llm_key_fake_secret_0123456789";
        await using var factory = new ReflyAppFactory(new Dictionary<string, string?> { ["Klaviyo:SyncInterval"] = "01:00:00" });
        _ = factory.ServerAddress;
        var settings = factory.Services.GetRequiredService<SettingsService>();

        var saved = await settings.SaveAsync(factory.Services.GetRequiredService<PersonalizerSettings>(), 
            new PersonalizerSettingsInput("llm", "http://127.0.0.1:9/v1", "test-model", llmKey), CancellationToken.None);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors));
        Assert.Equal(llmKey, factory.Services.GetRequiredService<IOptionsMonitor<LlmPersonalizerOptions>>().CurrentValue.ApiKey);

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(factory.DataFolder, "refly.db*"))
        {
            var bytes = await ReadSharedAsync(file);
            Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(llmKey)) < 0, $"{Path.GetFileName(file)} holds the LLM key in clear");
            Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(llmKey[4..^4])) < 0, $"{Path.GetFileName(file)} holds the LLM key's body in clear");
            // Non-secret settings are plain values.
            Assert.True(bytes.AsSpan().IndexOf("test-model"u8) >= 0, $"{Path.GetFileName(file)} lacks the model");
        }

        using (var admin = await factory.CreateSignedInClientAsync())
        {
            var html = WebUtility.HtmlDecode(await admin.GetStringAsync("/settings"));
            Assert.DoesNotContain(llmKey, html, StringComparison.Ordinal);
            Assert.DoesNotContain(llmKey[4..^4], html, StringComparison.Ordinal);
            var masked = factory.Services.GetRequiredService<PersonalizerSettings>().Current.MaskedLlmApiKey;
            Assert.True(masked.Saved);
            Assert.Contains(masked.Value!, html, StringComparison.Ordinal);
            Assert.Contains("test-model", html, StringComparison.Ordinal);
        }

        using (var marketer = await factory.CreateSignedInClientAsync(ReflyAppFactory.MarketerEmail))
        using (var denied = await marketer.GetAsync("/settings"))
        {
            Assert.Equal(HttpStatusCode.Redirect, denied.StatusCode);
            Assert.Contains("/account/access-denied", denied.Headers.Location!.ToString(), StringComparison.Ordinal);
        }

        // Read back from the database (as after a restart), then removed: configuration (no key) applies again.
        await settings.LoadAsync(CancellationToken.None);
        Assert.Equal(llmKey, factory.Services.GetRequiredService<IOptionsMonitor<LlmPersonalizerOptions>>().CurrentValue.ApiKey);
        Assert.True((await settings.SaveAsync(factory.Services.GetRequiredService<PersonalizerSettings>(), 
            new PersonalizerSettingsInput("llm", "http://127.0.0.1:9/v1", "test-model", RemoveApiKey: true), CancellationToken.None)).Succeeded);
        Assert.Null(factory.Services.GetRequiredService<IOptionsMonitor<LlmPersonalizerOptions>>().CurrentValue.ApiKey);
        Assert.Null(factory.Services.GetRequiredService<PersonalizerSettings>().Current.MaskedLlmApiKey.Value);
    }

    [Fact]
    public async Task AutomationToken_CreatedInSettings_WorksUntilRevoked_AndIsStoredHashed()
    {
        await using var factory = new ReflyAppFactory(new Dictionary<string, string?> { ["Sandbox:LargeListSize"] = "200" });
        _ = factory.ServerAddress;
        var settings = factory.Services.GetRequiredService<AutomationTokenService>();

        var (refusedToken, refused) = await settings.CreateAutomationTokenAsync("  ", CancellationToken.None);
        Assert.Null(refusedToken);
        Assert.False(refused.Succeeded);

        var (created, result) = await settings.CreateAutomationTokenAsync("deploy script", CancellationToken.None);
        Assert.True(result.Succeeded);
        using (var client = factory.CreateHttpClient(created!.Token))
        using (var ok = await client.GetAsync("/api/v1/campaigns"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using (var configured = factory.CreateHttpClient(ReflyAppFactory.AutomationToken))
        using (var ok = await configured.GetAsync("/api/v1/campaigns"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        // A signed-in browser cookie does not open the automation API.
        using (var admin = await factory.CreateSignedInClientAsync())
        using (var cookieOnly = await admin.GetAsync("/api/v1/campaigns"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, cookieOnly.StatusCode);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(factory.DataFolder, "refly.db*"))
        {
            Assert.True((await ReadSharedAsync(file)).AsSpan().IndexOf(Encoding.UTF8.GetBytes(created.Token)) < 0, "token stored in clear");
        }

        Assert.True(await settings.RevokeAutomationTokenAsync(created.View.Id, CancellationToken.None));
        using (var client = factory.CreateHttpClient(created.Token))
        using (var revoked = await client.GetAsync("/api/v1/campaigns"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        }
        var listed = Assert.Single(await settings.ListAutomationTokensAsync(CancellationToken.None));
        Assert.NotNull(listed.RevokedAt);
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var memory = new MemoryStream();
        await stream.CopyToAsync(memory);
        return memory.ToArray();
    }
}

/// <summary>Bad input through the automation API and hostile content from Klaviyo in the UI.</summary>
public sealed class BadInputTests : IClassFixture<Automation.DemoAppFixture>
{
    private readonly Automation.DemoAppFixture _app;

    public BadInputTests(Automation.DemoAppFixture app) => _app = app;

    [Fact]
    public async Task OversizedApiRequest_Returns413ProblemDetails_AndStartsNothing()
    {
        await _app.WaitForSyncAsync();
        var draft = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Draft);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);
        var huge = new { messageIds = Enumerable.Range(0, 20_000).Select(i => $"message-{i:D8}").ToArray() };
        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{draft.Id}/personalization", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(413, problem.RootElement.GetProperty("status").GetInt32());

        var campaign = await client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{draft.Id}");
        Assert.True(campaign.GetProperty("personalization").ValueKind == JsonValueKind.Null, campaign.ToString());
    }

    [Fact]
    public async Task StartPersonalization_MessageOfAnotherCampaign_IsRefusedWithReason()
    {
        await _app.WaitForSyncAsync();
        var campaigns = _app.Factory.Sandbox.Store.GetCampaigns().Where(c => c.Status == CampaignStatuses.Draft || c.Status == CampaignStatuses.Scheduled).Take(2).ToList();
        var otherMessage = campaigns[1].Messages[0].Id;
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);
        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{campaigns[0].Id}/personalization", new { messageIds = new[] { otherMessage } });
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, $"{(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(otherMessage, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var unknown = await client.PostAsJsonAsync("/api/v1/campaigns/%3Cscript%3E/personalization", new { messageIds = new[] { "x" } });
        // 404 with the reason, as JSON problem details (never HTML, so an echoed id cannot run in a browser).
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }
}
