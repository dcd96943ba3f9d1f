using Refly.Core.Klaviyo;

namespace Refly.Tests.Unit.Klaviyo;

public sealed class KlaviyoClientReadTests
{
    [Fact]
    public async Task GetEmailCampaigns_SendsChannelFilterAndInclude_AndJoinsIncludedMessagesAndTags()
    {
        var page = KlaviyoJson.Collection(
            [KlaviyoJson.Campaign("C1", ["M1", "M2"], ["T1"]), KlaviyoJson.Campaign("C2", [], [], status: "Draft")],
            included:
            [
                KlaviyoJson.Message("M2", "Variation B", "Subject B"),
                KlaviyoJson.Tag("T1", "Refly: Personalize"),
                KlaviyoJson.Message("M1", "Variation A", "Subject A", templateId: "TPL1"),
            ]);
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(page));

        var campaigns = await host.Client.GetEmailCampaignsAsync(CancellationToken.None).ToListAsync();

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal("/api/campaigns", request.Path);
        Assert.Equal("equals(messages.channel,'email')", request.Query["filter"]);
        Assert.Equal("campaign-messages,tags", request.Query["include"]);
        Assert.Equal("100", request.Query["page[size]"]);
        Assert.Equal(["filter", "include", "page[size]"], request.Query.AllKeys.OfType<string>().Order().ToArray());

        Assert.Equal(2, campaigns.Count);
        var c1 = campaigns[0];
        Assert.Equal("C1", c1.Id);
        Assert.Equal("Campaign C1", c1.Name);
        Assert.Equal("Scheduled", c1.Status);
        Assert.False(c1.Archived);
        Assert.Equal(["LIST1", "SEG1"], c1.Audiences.Included);
        Assert.Equal(["LISTX"], c1.Audiences.Excluded);
        Assert.Equal(new KlaviyoSendStrategy("static", new DateTimeOffset(2026, 12, 1, 15, 0, 0, TimeSpan.Zero)), c1.SendStrategy);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 15, 0, 0, TimeSpan.Zero), c1.SendTime);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero), c1.ScheduledAt);
        Assert.Equal(["M1", "M2"], c1.Messages.Select(m => m.Id));
        Assert.Equal(
            new KlaviyoCampaignMessage("M1", "email", "Variation A", "Subject A", "Preview M1", "shop@example.com", "Shop", "TPL1"),
            c1.Messages[0]);
        Assert.Null(c1.Messages[1].TemplateId);
        Assert.Equal([new KlaviyoTag("T1", "Refly: Personalize")], c1.Tags);
        Assert.Equal("Draft", campaigns[1].Status);
        Assert.Empty(campaigns[1].Messages);
    }

    [Fact]
    public async Task GetEmailCampaigns_FollowsLinksNextAcrossPages()
    {
        const string next = "https://a.klaviyo.com/api/campaigns?filter=equals%28messages.channel%2C%27email%27%29&page%5Bcursor%5D=bmV4dDo6aWQ6OjQz";
        using var host = new KlaviyoTestHost((request, index) => index switch
        {
            0 => FakeKlaviyoHandler.Json(KlaviyoJson.Collection([KlaviyoJson.Campaign("C1", [], [])], next)),
            _ => FakeKlaviyoHandler.Json(KlaviyoJson.Collection([KlaviyoJson.Campaign("C2", [], []), KlaviyoJson.Campaign("C3", [], [])])),
        });

        var ids = await host.Client.GetEmailCampaignsAsync(CancellationToken.None).Select(c => c.Id).ToListAsync();

        Assert.Equal(["C1", "C2", "C3"], ids);
        var requests = host.Handler.Requests;
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Query["page[cursor]"]);
        Assert.Equal("bmV4dDo6aWQ6OjQz", requests[1].Query["page[cursor]"]);

        // The follow-up page keeps our base URL and the required channel filter.
        Assert.Equal("klaviyo.test", requests[1].Uri.Host);
        Assert.Equal("equals(messages.channel,'email')", requests[1].Query["filter"]);
    }

    [Fact]
    public async Task GetCampaign_IncludesMessagesAndTags()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Single(
            KlaviyoJson.Campaign("C1", ["M1"], []), [KlaviyoJson.Message("M1", "A", "Hello")])));

        var campaign = await host.Client.GetCampaignAsync("C1", CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal("/api/campaigns/C1", request.Path);
        Assert.Equal("campaign-messages,tags", request.Query["include"]);
        Assert.Equal("Hello", Assert.Single(campaign!.Messages).Subject);
    }

    [Fact]
    public async Task GetCampaignMessage_ReadsTemplateRelationship()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Single(KlaviyoJson.Message("M1", "A", "Hello", "TPL9"))));

        var message = await host.Client.GetCampaignMessageAsync("M1", CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal("/api/campaign-messages/M1", request.Path);
        Assert.Equal("template", request.Query["include"]);
        Assert.Equal("TPL9", message!.TemplateId);
    }

    [Fact]
    public async Task GetGroupProfilesPage_SendsSparseFieldsMaxPageSizeAndJoinedWindow_AndReturnsTheCursor()
    {
        const string next = "https://a.klaviyo.com/api/lists/L1/profiles?page%5Bcursor%5D=abc%2B%2F%3D&page%5Bsize%5D=100";
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Collection(
            [KlaviyoJson.Profile("P1", "ada@example.com"), KlaviyoJson.Profile("P2", "bob@example.com")], next)));
        var window = new JoinedWindow(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 2, 1, 1, 0, 0, TimeSpan.FromHours(1)));

        var page = await host.Client.GetGroupProfilesPageAsync(new KlaviyoGroupRef(KlaviyoGroupKind.List, "L1"), null, window, CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal("/api/lists/L1/profiles", request.Path);
        Assert.Equal("email,first_name,last_name,location.city,location.country,properties,joined_group_at", request.Query["fields[profile]"]);
        Assert.Equal("100", request.Query["page[size]"]);
        Assert.Equal(
            "and(greater-or-equal(joined_group_at,2026-01-01T00:00:00Z),less-than(joined_group_at,2026-02-01T00:00:00Z))",
            request.Query["filter"]);
        Assert.Equal(["fields[profile]", "filter", "page[size]"], request.Query.AllKeys.OfType<string>().Order().ToArray());

        Assert.Equal("abc+/=", page.NextCursor);
        Assert.Equal(["P1", "P2"], page.Items.Select(p => p.Id));
        var ada = page.Items[0];
        Assert.Equal("ada@example.com", ada.Email);
        Assert.Equal("Ada", ada.FirstName);
        Assert.Null(ada.LastName);
        Assert.Equal("Lyon", ada.City);
        Assert.Equal("France", ada.Country);
        Assert.Equal(new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero), ada.JoinedGroupAt);
        Assert.Equal("gold", ada.Properties["tier"]);
        Assert.Equal("3", ada.Properties["orders"]);
        Assert.Equal("true", ada.Properties["vip"]);
    }

    [Fact]
    public async Task GetGroupProfilesPage_WithStoredCursor_AfterABaseUrlChange_SendsItAsPageCursor()
    {
        using var host = new KlaviyoTestHost(
            (_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Collection([KlaviyoJson.Profile("P3", "c@example.com")])),
            new Dictionary<string, string?> { ["Klaviyo:BaseUrl"] = "http://127.0.0.1:49152" });

        // A cursor stored in SQLite by an earlier process (which talked to another port) is reused as is.
        var page = await host.Client.GetGroupProfilesPageAsync(
            new KlaviyoGroupRef(KlaviyoGroupKind.Segment, "S1"), "abc+/=", new JoinedWindow(null, new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero)), CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal("http://127.0.0.1:49152/api/segments/S1/profiles", request.Uri.GetLeftPart(UriPartial.Path));
        Assert.Equal("abc+/=", request.Query["page[cursor]"]);
        Assert.Equal("less-than(joined_group_at,2026-03-01T00:00:00Z)", request.Query["filter"]);
        Assert.Null(page.NextCursor);
        Assert.Equal("P3", Assert.Single(page.Items).Id);
    }

    [Fact]
    public async Task GetGroupProfilesPage_WithoutWindow_SendsNoFilter_AndSkipsAProfileWithoutId()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Collection(
            [KlaviyoJson.Profile("P1", "a@example.com"), """{"type":"profile","id":null,"attributes":{"email":"x@example.com","joined_group_at":"2026-01-01T00:00:00Z"},"links":{"self":"x"}}"""])));

        var page = await host.Client.GetGroupProfilesPageAsync(new KlaviyoGroupRef(KlaviyoGroupKind.List, "L1"), null, null, CancellationToken.None);

        Assert.Null(Assert.Single(host.Handler.Requests).Query["filter"]);
        Assert.Equal("P1", Assert.Single(page.Items).Id);
    }

    [Theory]
    [InlineData(KlaviyoGroupKind.List, "/api/lists/G1", "additional-fields[list]")]
    [InlineData(KlaviyoGroupKind.Segment, "/api/segments/G1", "additional-fields[segment]")]
    public async Task GetGroup_RequestsProfileCount(KlaviyoGroupKind kind, string path, string parameter)
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Single(
            """{"type":"list","id":"G1","attributes":{"name":"Newsletter","created":null,"profile_count":1234},"links":{"self":"x"}}""")));

        var group = await host.Client.GetGroupAsync(new KlaviyoGroupRef(kind, "G1"), CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal(path, request.Path);
        Assert.Equal("profile_count", request.Query[parameter]);
        Assert.Single(request.Query.AllKeys);
        Assert.Equal(new KlaviyoGroup(new KlaviyoGroupRef(kind, "G1"), "Newsletter", 1234), group);
    }

    [Fact]
    public async Task FindTagByName_EscapesQuotesInTheFilter_AndMatchesTheExactName()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Collection(
            [KlaviyoJson.Tag("T0", "Refly: Personalize (old)"), KlaviyoJson.Tag("T1", "Refly's \"Personalize\"")])));

        var tag = await host.Client.FindTagByNameAsync("Refly's \"Personalize\"", CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal("/api/tags", request.Path);
        Assert.Equal("equals(name,'Refly\\'s \"Personalize\"')", request.Query["filter"]);
        Assert.Equal(new KlaviyoTag("T1", "Refly's \"Personalize\""), tag);
    }

    [Fact]
    public async Task FindTagByName_WithNoMatch_ReturnsNull()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Collection([])));

        Assert.Null(await host.Client.FindTagByNameAsync("Refly: Personalize", CancellationToken.None));
    }

    [Fact]
    public async Task GetCampaignIdsForTag_ReadsEveryPage()
    {
        using var host = new KlaviyoTestHost((_, index) => index switch
        {
            0 => FakeKlaviyoHandler.Json(KlaviyoJson.Collection(["""{"type":"campaign","id":"C1"}"""], "https://a.klaviyo.com/api/tags/T1/relationships/campaigns?page%5Bcursor%5D=p2")),
            _ => FakeKlaviyoHandler.Json(KlaviyoJson.Collection(["""{"type":"campaign","id":"C2"}"""])),
        });

        var ids = await host.Client.GetCampaignIdsForTagAsync("T1", CancellationToken.None).ToListAsync();

        Assert.Equal(["C1", "C2"], ids);
        var requests = host.Handler.Requests;
        Assert.Equal("https://klaviyo.test/api/tags/T1/relationships/campaigns", requests[0].Uri.ToString());
        Assert.Equal("klaviyo.test", requests[1].Uri.Host);
        Assert.Equal("p2", requests[1].Query["page[cursor]"]);
    }

    [Fact]
    public async Task GetRecipientEstimate_ReadsTheCount()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Single(
            """{"type":"campaign-recipient-estimation","id":"C1","attributes":{"estimated_recipient_count":48213},"links":{"self":"x"}}""")));

        Assert.Equal(48213, await host.Client.GetRecipientEstimateAsync("C1", CancellationToken.None));
        Assert.Equal("/api/campaign-recipient-estimations/C1", Assert.Single(host.Handler.Requests).Path);
    }

    [Fact]
    public async Task GetProfileImportJob_AndErrors_AreRead()
    {
        using var host = new KlaviyoTestHost((request, index) => request.Path.EndsWith("/import-errors", StringComparison.Ordinal)
            ? FakeKlaviyoHandler.Json(index == 1
                ? KlaviyoJson.Collection(
                    ["""{"type":"import-error","id":"E1","attributes":{"code":"invalid","title":"Invalid email","detail":"bad address","source":{"pointer":"/data/0"},"original_payload":{"type":"profile","id":"P1","attributes":{"email":"bad@"}}}}"""],
                    "https://a.klaviyo.com/api/profile-bulk-import-jobs/J1/import-errors?page%5Bcursor%5D=e2")
                : KlaviyoJson.Collection(["""{"type":"import-error","id":"E2","attributes":{"code":"x","title":"y","detail":"z","source":{}}}"""]))
            : FakeKlaviyoHandler.Json(KlaviyoJson.Single(
                """{"type":"profile-bulk-import-job","id":"J1","attributes":{"status":"complete","created_at":"2026-11-01T00:00:00Z","total_count":10,"completed_count":9,"failed_count":1,"completed_at":"2026-11-01T00:01:00Z","expires_at":null},"links":{"self":"x"}}""")));

        var job = await host.Client.GetProfileImportJobAsync("J1", CancellationToken.None);
        var errors = await host.Client.GetProfileImportErrorsAsync("J1", CancellationToken.None).ToListAsync();

        Assert.Equal(new KlaviyoImportJob("J1", "complete", 10, 9, 1, new DateTimeOffset(2026, 11, 1, 0, 1, 0, TimeSpan.Zero)), job);
        Assert.True(job.IsFinished);
        Assert.Equal(
            [new KlaviyoImportError("invalid", "Invalid email", "bad address", "bad@", "P1"), new KlaviyoImportError("x", "y", "z", null, null)],
            errors);
        var requests = host.Handler.Requests;
        Assert.Equal("100", requests[1].Query["page[size]"]);
        Assert.Equal("e2", requests[2].Query["page[cursor]"]);
    }
}
