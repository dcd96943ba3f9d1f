using System.Net;
using System.Text.Json;
using Refly.Core.Klaviyo;

namespace Refly.Tests.Unit.Klaviyo;

/// <summary>Request bodies, checked against the request schemas of Klaviyo's OpenAPI (revision 2026-07-15).</summary>
public sealed class KlaviyoClientWriteTests
{
    private static KlaviyoTestHost Host(string? answer = null, HttpStatusCode status = HttpStatusCode.OK) =>
        new((_, _) => answer is null ? new HttpResponseMessage(HttpStatusCode.NoContent) : FakeKlaviyoHandler.Json(answer, status));

    [Fact]
    public async Task UpdateCampaignMessageContent_SendsEmailDefinitionWithSubjectAndPreviewOnly()
    {
        using var host = Host(KlaviyoJson.Single(KlaviyoJson.Message("M1", "A", "x")));

        await host.Client.UpdateCampaignMessageContentAsync("M1", "{{ person|lookup:'refly_m1_subject'|default:'Hi' }}", "Preview", CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal(HttpMethod.Patch, request.Method);
        Assert.Equal("/api/campaign-messages/M1", request.Path);
        Assert.Empty(request.Uri.Query);
        AssertJson(
            """{"data":{"type":"campaign-message","id":"M1","attributes":{"definition":{"channel":"email","content":{"subject":"{{ person|lookup:'refly_m1_subject'|default:'Hi' }}","preview_text":"Preview"}}}}}""",
            request.Body);
    }

    [Fact]
    public async Task AssignTemplate_SendsTemplateRelationship()
    {
        using var host = Host(KlaviyoJson.Single(KlaviyoJson.Message("M1", "A", "x")), HttpStatusCode.Created);

        await host.Client.AssignTemplateAsync("M1", "TPL2", CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/campaign-message-assign-template", request.Path);
        AssertJson(
            """{"data":{"type":"campaign-message","id":"M1","relationships":{"template":{"data":{"type":"template","id":"TPL2"}}}}}""",
            request.Body);
    }

    [Fact]
    public async Task RevertSendJob_SendsRevertAction()
    {
        using var host = Host("""{"data":{"type":"campaign-send-job","id":"C1","attributes":{"status":"cancelled"},"links":{"self":"x"}}}""");

        await host.Client.RevertSendJobAsync("C1", CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal(HttpMethod.Patch, request.Method);
        Assert.Equal("/api/campaign-send-jobs/C1", request.Path);
        AssertJson("""{"data":{"type":"campaign-send-job","id":"C1","attributes":{"action":"revert"}}}""", request.Body);
    }

    [Fact]
    public async Task CreateSendJob_SendsCampaignId()
    {
        using var host = Host("""{"data":{"type":"campaign-send-job","id":"C1","attributes":{"status":"queued"},"links":{"self":"x"}}}""", HttpStatusCode.Accepted);

        await host.Client.CreateSendJobAsync("C1", CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/campaign-send-jobs", request.Path);
        AssertJson("""{"data":{"type":"campaign-send-job","id":"C1"}}""", request.Body);
    }

    [Fact]
    public async Task CreateTemplate_SendsCodeTemplate_AndReturnsItsId()
    {
        using var host = Host(KlaviyoJson.Template("TPL3", "<p>x</p>"), HttpStatusCode.Created);

        var id = await host.Client.CreateTemplateAsync("Refly copy", "<p>\"hi\" & <b>bye</b></p>", CancellationToken.None);

        Assert.Equal("TPL3", id);
        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/templates", request.Path);
        AssertJson("""{"data":{"type":"template","attributes":{"name":"Refly copy","editor_type":"CODE","html":"<p>\"hi\" & <b>bye</b></p>"}}}""", request.Body);
    }

    [Fact]
    public async Task DeleteTemplate_SendsDelete()
    {
        using var host = Host();

        await host.Client.DeleteTemplateAsync("TPL3", CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal(HttpMethod.Delete, request.Method);
        Assert.Equal("/api/templates/TPL3", request.Path);
        Assert.Null(request.Body);
    }

    [Fact]
    public async Task CreateProfileImportJob_SendsPropertiesAndUnsetPerSpec_AndReturnsTheJobId()
    {
        using var host = Host(
            """{"data":{"type":"profile-bulk-import-job","id":"J1","attributes":{"status":"queued","created_at":"2026-11-01T00:00:00Z","total_count":2},"links":{"self":"x"}}}""",
            HttpStatusCode.Accepted);
        var profiles = new[]
        {
            new ProfilePropertyPatch("P1", "ada@example.com", new Dictionary<string, string> { ["refly_m1_subject"] = "Hi Ada", ["refly_m1_intro"] = "<p>Lyon</p>" }, []),
            new ProfilePropertyPatch("P2", null, new Dictionary<string, string>(), ["refly_m1_subject", "refly_m1_intro"]),
        };

        var jobId = await host.Client.CreateProfileImportJobAsync(profiles, CancellationToken.None);

        Assert.Equal("J1", jobId);
        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/profile-bulk-import-jobs", request.Path);
        AssertJson(
            """
            {"data":{"type":"profile-bulk-import-job","attributes":{"profiles":{"data":[
              {"type":"profile","id":"P1","attributes":{"email":"ada@example.com","properties":{"refly_m1_subject":"Hi Ada","refly_m1_intro":"<p>Lyon</p>"}}},
              {"type":"profile","id":"P2","attributes":{},"meta":{"patch_properties":{"unset":["refly_m1_subject","refly_m1_intro"]}}}
            ]}}}}
            """,
            request.Body);
    }

    [Fact]
    public async Task CreateProfileImportJob_WithMoreThan10000Profiles_ThrowsArgumentException_AndSendsNothing()
    {
        using var host = Host();
        var profiles = Enumerable.Range(0, 10_001)
            .Select(i => new ProfilePropertyPatch($"P{i}", null, new Dictionary<string, string> { ["refly_m1_subject"] = "Hi" }, []))
            .ToList();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => host.Client.CreateProfileImportJobAsync(profiles, CancellationToken.None));

        Assert.Contains("10,000", ex.Message);
        Assert.Empty(host.Handler.Requests);
    }

    [Fact]
    public async Task CreateProfileImportJob_Over5MB_ThrowsArgumentException_AndSendsNothing()
    {
        using var host = Host();
        var big = new string('x', 600);
        var profiles = Enumerable.Range(0, 10_000)
            .Select(i => new ProfilePropertyPatch($"P{i}", null, new Dictionary<string, string> { ["refly_m1_intro"] = big }, []))
            .ToList();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => host.Client.CreateProfileImportJobAsync(profiles, CancellationToken.None));

        Assert.Contains("5 MB", ex.Message);
        Assert.Empty(host.Handler.Requests);
    }

    [Fact]
    public async Task CreateProfileImportJob_AtTheLimits_IsSent()
    {
        using var host = Host("""{"data":{"type":"profile-bulk-import-job","id":"J2","attributes":{"status":"queued","created_at":"2026-11-01T00:00:00Z","total_count":10000},"links":{"self":"x"}}}""");
        var profiles = Enumerable.Range(0, 10_000)
            .Select(i => new ProfilePropertyPatch($"P{i}", null, new Dictionary<string, string> { ["refly_m1_intro"] = new string('y', 400) }, []))
            .ToList();

        Assert.Equal("J2", await host.Client.CreateProfileImportJobAsync(profiles, CancellationToken.None));
        var request = Assert.Single(host.Handler.Requests);
        Assert.True(request.Body!.Length <= KlaviyoClient.MaxImportPayloadBytes);
        Assert.Equal(10_000, request.Json.GetProperty("data").GetProperty("attributes").GetProperty("profiles").GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task CreateProfileImportJob_WithNoProfiles_ThrowsArgumentException()
    {
        using var host = Host();

        await Assert.ThrowsAsync<ArgumentException>(() => host.Client.CreateProfileImportJobAsync([], CancellationToken.None));
        Assert.Empty(host.Handler.Requests);
    }

    private static void AssertJson(string expected, string? actual)
    {
        Assert.NotNull(actual);
        using var e = JsonDocument.Parse(expected);
        using var a = JsonDocument.Parse(actual);
        Assert.True(JsonElement.DeepEquals(e.RootElement, a.RootElement), $"expected {e.RootElement.GetRawText()}\nactual   {actual}");
    }
}
