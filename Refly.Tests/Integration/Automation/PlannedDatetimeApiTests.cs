using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Campaigns;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Automation;

/// <summary>
/// A Draft's planned datetime (its static send strategy's datetime, often long past) is no deadline; a Scheduled
/// campaign's send time is. Through the automation API of the whole app in demo mode.
/// </summary>
public sealed class PlannedDatetimeApiTests : IClassFixture<PlannedDatetimeApiTests.App>
{
    private readonly App _app;

    public PlannedDatetimeApiTests(App app) => _app = app;

    [Fact]
    public async Task StartPersonalization_DraftWhosePlannedDatetimeHasPassed_StartsAndCompletes()
    {
        await _app.WaitForSyncAsync();
        // The demo seed's Draft planned when it was created, twelve days ago.
        var draft = _app.Factory.Sandbox.Store.GetCampaigns().Single(c => c.Name == "Spring lookbook (draft)");
        Assert.Equal(CampaignStatuses.Draft, draft.Status);
        Assert.Equal("static", draft.SendMethod);
        Assert.True(draft.SendDatetime < DateTimeOffset.UtcNow.AddDays(-1));
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{draft.Id}/personalization", new { messageIds = new[] { draft.Messages[0].Id } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        JsonElement run = default;
        var completed = await CoreTestHost.WaitUntilAsync(async () =>
        {
            run = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/runs/{runId}")).RootElement;
            return run.GetProperty("state").GetString() is "Completed" or "Failed";
        }, TimeSpan.FromSeconds(90));
        Assert.True(completed, $"the run is still {run.GetProperty("state").GetString()}");
        Assert.Equal("Completed", run.GetProperty("state").GetString());
        Assert.True(run.GetProperty("written").GetInt64() > 0);
        Assert.Equal(run.GetProperty("total").GetInt64(), run.GetProperty("written").GetInt64());
        // No deadline stopped it: the Draft's past datetime is not the send-time lock.
        Assert.Equal(JsonValueKind.Null, run.GetProperty("stopReason").ValueKind);
        Assert.Equal(CampaignStatuses.Draft, _app.Factory.Sandbox.Store.GetCampaign(draft.Id)!.Status);
    }

    [Fact]
    public async Task StartPersonalization_ScheduledWhoseSendTimeHasPassed_Returns422WithTheReason()
    {
        await _app.WaitForSyncAsync();
        var store = _app.Factory.Sandbox.Store;
        var list = store.AddList("Passed audience", 10);
        var sendTime = DateTimeOffset.UtcNow.AddSeconds(2);
        var scheduled = store.AddCampaign("Passed while synced", CampaignStatuses.Scheduled, sendTime,
            [new MessageSeed("Email", "Subject", "Preview", "<html><body><p>Hi</p></body></html>")], [list.Id]);
        // Synced while still Scheduled; the next sync is an hour away, so the local copy stays Scheduled after the send time.
        await _app.Factory.Services.GetRequiredService<CampaignSyncService>().SyncAsync(CancellationToken.None);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow > sendTime.AddMilliseconds(200)), TimeSpan.FromSeconds(10)));
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{scheduled.Id}/personalization", new { messageIds = new[] { scheduled.Messages[0].Id } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("has passed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("SendTime", problem.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task StartPersonalization_ScheduledWithinFifteenMinutes_Returns422_ButADraftPlannedThenStarts()
    {
        await _app.WaitForSyncAsync();
        var store = _app.Factory.Sandbox.Store;
        var list = store.AddList("Soon audience", 10);
        var soon = DateTimeOffset.UtcNow.AddMinutes(10);
        MessageSeed[] messages = [new("Email", "Subject", "Preview", "<html><body><p>Hi</p></body></html>")];
        var scheduled = store.AddCampaign("Scheduled soon", CampaignStatuses.Scheduled, soon, messages, [list.Id]);
        var draft = store.AddCampaign("Draft planned soon", CampaignStatuses.Draft, soon, messages, [list.Id]);
        await _app.Factory.Services.GetRequiredService<CampaignSyncService>().SyncAsync(CancellationToken.None);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var refused = await client.PostAsJsonAsync($"/api/v1/campaigns/{scheduled.Id}/personalization", new { messageIds = new[] { scheduled.Messages[0].Id } });
        using var started = await client.PostAsJsonAsync($"/api/v1/campaigns/{draft.Id}/personalization", new { messageIds = new[] { draft.Messages[0].Id } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("within 15 minutes", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
    }

    /// <summary>The demo app with no periodic sync or tag poll after the first, so a test decides what the local copy says.</summary>
    public sealed class App : IAsyncLifetime
    {
        public ReflyAppFactory Factory { get; } = new(new Dictionary<string, string?>
        {
            ["Sandbox:LargeListSize"] = "2000",
            ["Klaviyo:SyncInterval"] = "01:00:00",
        });

        public async Task WaitForSyncAsync()
        {
            var status = Factory.Services.GetRequiredService<SyncStatus>();
            Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(status.LastSuccessAt is not null), TimeSpan.FromSeconds(30)), status.LastError ?? "no sync yet");
        }

        public Task InitializeAsync()
        {
            _ = Factory.ServerAddress;
            return Task.CompletedTask;
        }

        public async Task DisposeAsync() => await Factory.DisposeAsync();
    }
}
