using System.Text.Json;
using Refly.KlaviyoSandbox;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Spec;
using Refly.KlaviyoSandbox.Store;

namespace Refly.Tests.Integration.Sandbox;

/// <summary>
/// Validates the sandbox's success answers against the response schemas of the same OpenAPI slices, with objects
/// closed: an attribute the spec doesn't define, a missing required member or a wrong type fails the test.
/// </summary>
public sealed class SandboxSpecConformanceTests
{
    [Fact]
    public async Task ReadOperations_AnswerWithTheSpecsResponseShapes()
    {
        await using var sandbox = await KlaviyoSandboxServer.StartAsync(new KlaviyoSandboxOptions { LargeListSize = 500, RateLimitMultiplier = 1000 });
        var store = sandbox.Store;
        var campaign = store.GetCampaigns().First(c => c.Status == CampaignStatuses.Scheduled && c.Messages.Count == 2);
        var message = campaign.Messages[0];
        var list = store.GetGroups(SandboxGroupKind.List)[0];
        var segment = store.GetGroups(SandboxGroupKind.Segment)[0];
        var tag = store.GetTags()[0];
        var template = store.GetTemplates(reusableOnly: true)[0];
        using var client = sandbox.CreateClient();
        using var firstPage = await client.GetJsonAsync($"/api/lists/{list.Id}/profiles?page[size]=1");
        var profileId = firstPage.RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;
        using var firstEvent = await client.GetJsonAsync("/api/events?page[size]=1");
        var eventId = firstEvent.RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;

        var calls = new (string OperationId, string Url)[]
        {
            ("get_accounts", "/api/accounts"),
            ("get_campaigns", "/api/campaigns?filter=equals(messages.channel,'email')&include=campaign-messages,tags"),
            ("get_campaign", $"/api/campaigns/{campaign.Id}?include=campaign-messages,tags"),
            ("get_messages_for_campaign", $"/api/campaigns/{campaign.Id}/campaign-messages?include=template"),
            ("get_campaign_message", $"/api/campaign-messages/{message.Id}?include=template,campaign"),
            ("get_campaign_send_job", $"/api/campaign-send-jobs/{campaign.Id}"),
            ("get_campaign_recipient_estimation", $"/api/campaign-recipient-estimations/{campaign.Id}"),
            ("get_tags", "/api/tags"),
            ("get_campaign_ids_for_tag", $"/api/tags/{tag.Id}/relationships/campaigns"),
            ("get_lists", "/api/lists"),
            ("get_list", $"/api/lists/{list.Id}?additional-fields[list]=profile_count"),
            ("get_segment", $"/api/segments/{segment.Id}?additional-fields[segment]=profile_count"),
            ("get_profiles_for_list", $"/api/lists/{list.Id}/profiles?page[size]=5"),
            ("get_profiles_for_segment", $"/api/segments/{segment.Id}/profiles?page[size]=5"),
            ("get_profile", $"/api/profiles/{profileId}"),
            ("get_templates", "/api/templates"),
            ("get_template", $"/api/templates/{template.Id}"),
            ("get_metrics", "/api/metrics?include=flow-triggers"),
            ("get_metric", $"/api/metrics/{SandboxMetrics.ByCode(SandboxMetrics.PlacedOrder).Id}"),
            ("get_events", "/api/events?page[size]=50&include=metric,profile,attributions&sort=-datetime"),
            ("get_event", $"/api/events/{eventId}?include=metric,profile"),
        };

        var failures = new List<string>();
        foreach (var (operationId, url) in calls)
        {
            using var doc = await client.GetJsonAsync(url);
            var operation = SpecCatalog.Instance.Get(operationId);
            try
            {
                SchemaValidator.Validate(doc.RootElement, operation.ResponseSchemas[200], operation.Resolver);
            }
            catch (KlaviyoApiException e)
            {
                failures.Add($"{operationId}: {e.Pointer}: {e.Detail}");
            }
        }
        using (var report = await SandboxEmailEventsTests.PostReportAsync(client, null, ["recipients", "open_rate", "conversion_value"],
            ["campaign_id", "campaign_message_id", "campaign_message_name", "send_channel", "tag_id"], new { key = "last_365_days" }))
        {
            using var doc = JsonDocument.Parse(await report.Content.ReadAsStringAsync());
            Assert.NotEmpty(doc.RootElement.GetProperty("data").GetProperty("attributes").GetProperty("results").EnumerateArray());
            var operation = SpecCatalog.Instance.Get("query_campaign_values");
            try
            {
                SchemaValidator.Validate(doc.RootElement, operation.ResponseSchemas[200], operation.Resolver);
            }
            catch (KlaviyoApiException e)
            {
                failures.Add($"query_campaign_values: {e.Pointer}: {e.Detail}");
            }
        }
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task WriteOperations_AnswerWithTheSpecsResponseShapes()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var list = sandbox.Store.AddList("Audience", 5);
        var campaign = sandbox.Store.AddCampaign("Draft", CampaignStatuses.Draft, DateTimeOffset.UtcNow.AddDays(1), included: [list.Id]);
        var messageId = campaign.Messages[0].Id;
        using var client = sandbox.CreateClient();
        var failures = new List<string>();

        async Task<JsonDocument> Call(string operationId, HttpMethod method, string url, object body, int status)
        {
            using var response = await client.SendJsonAsync(method, url, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == status, $"{operationId}: {(int)response.StatusCode} {text}");
            var doc = JsonDocument.Parse(text);
            var operation = SpecCatalog.Instance.Get(operationId);
            try
            {
                SchemaValidator.Validate(doc.RootElement, operation.ResponseSchemas[status], operation.Resolver);
            }
            catch (KlaviyoApiException e)
            {
                failures.Add($"{operationId}: {e.Pointer}: {e.Detail}");
            }
            return doc;
        }

        using var created = await Call("create_template", HttpMethod.Post, "/api/templates",
            new { data = new { type = "template", attributes = new { name = "T", editor_type = "CODE", html = "<p>x</p>" } } }, 201);
        var templateId = created.RootElement.GetProperty("data").GetProperty("id").GetString()!;
        (await Call("update_template", HttpMethod.Patch, $"/api/templates/{templateId}",
            new { data = new { type = "template", id = templateId, attributes = new { html = "<p>y</p>" } } }, 200)).Dispose();
        (await Call("clone_template", HttpMethod.Post, "/api/template-clone",
            new { data = new { type = "template", id = templateId, attributes = new { name = "T2" } } }, 201)).Dispose();
        (await Call("update_campaign_message", HttpMethod.Patch, $"/api/campaign-messages/{messageId}",
            SandboxTestHelpers.MessagePatch(messageId, "S", "P"), 200)).Dispose();
        (await Call("assign_template_to_campaign_message", HttpMethod.Post, "/api/campaign-message-assign-template",
            new { data = new { type = "campaign-message", id = messageId, relationships = new { template = new { data = new { type = "template", id = templateId } } } } }, 200)).Dispose();
        (await Call("refresh_campaign_recipient_estimation", HttpMethod.Post, "/api/campaign-recipient-estimation-jobs",
            new { data = new { type = "campaign-recipient-estimation-job", id = campaign.Id } }, 202)).Dispose();
        (await Call("send_campaign", HttpMethod.Post, "/api/campaign-send-jobs",
            new { data = new { type = "campaign-send-job", id = campaign.Id } }, 202)).Dispose();
        using var job = await Call("bulk_import_profiles", HttpMethod.Post, "/api/profile-bulk-import-jobs", new
        {
            data = new
            {
                type = "profile-bulk-import-job",
                attributes = new { profiles = new { data = new object[] { new { type = "profile", attributes = new { email = "new@example.org", properties = new { a = "b" } } }, new { type = "profile", attributes = new { } } } } },
                relationships = new { lists = new { data = new[] { new { type = "list", id = list.Id } } } },
            },
        }, 202);

        var jobId = job.RootElement.GetProperty("data").GetProperty("id").GetString()!;
        foreach (var (operationId, url) in new[]
        {
            ("get_bulk_import_profiles_job", $"/api/profile-bulk-import-jobs/{jobId}"),
            ("get_errors_for_bulk_import_profiles_job", $"/api/profile-bulk-import-jobs/{jobId}/import-errors"),
            ("get_bulk_import_profiles_jobs", "/api/profile-bulk-import-jobs"),
            ("get_campaign_recipient_estimation_job", $"/api/campaign-recipient-estimation-jobs/{campaign.Id}"),
        })
        {
            using var doc = await client.GetJsonAsync(url);
            var operation = SpecCatalog.Instance.Get(operationId);
            try
            {
                SchemaValidator.Validate(doc.RootElement, operation.ResponseSchemas[200], operation.Resolver);
            }
            catch (KlaviyoApiException e)
            {
                failures.Add($"{operationId}: {e.Pointer}: {e.Detail}");
            }
        }
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        Assert.Equal(6, sandbox.Store.GetGroup(list.Id)!.Count);
    }

    [Fact]
    public async Task Errors_AnswerWithTheSpecsClientErrorShape()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();

        using var response = await client.GetAsync("/api/campaigns?filter=equals(name,'x')");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var operation = SpecCatalog.Instance.Get("get_campaigns");
        var errorSchema = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(
            """{"type":"object","properties":{"errors":{"type":"array","items":{"type":"object","required":["id","code","title","detail"],"properties":{"id":{"type":"string"},"status":{"type":"integer"},"code":{"type":"string"},"title":{"type":"string"},"detail":{"type":"string"},"source":{"type":"object","properties":{"pointer":{"type":"string"},"parameter":{"type":"string"}}}}}}},"required":["errors"]}""")!;
        SchemaValidator.Validate(doc.RootElement, errorSchema, operation.Resolver);
        Assert.Equal("filter", doc.RootElement.GetProperty("errors")[0].GetProperty("source").GetProperty("parameter").GetString());
    }
}
