using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Refly.KlaviyoSandbox;
using Refly.KlaviyoSandbox.Store;

namespace Refly.Tests.Integration.Sandbox;

public sealed class SandboxProfileTests
{
    [Fact]
    public async Task BulkImport_Lifecycle_SetsPropertiesOnCompletionAndUnsets()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync(o =>
        {
            o.TimeProvider = time;
            o.ImportJobDelay = TimeSpan.FromSeconds(10);
        });
        var list = sandbox.Store.AddList("Audience", 3);
        using var client = sandbox.CreateClient();
        using var page = await client.GetJsonAsync($"/api/lists/{list.Id}/profiles?page[size]=1&fields[profile]=email");
        var profileId = page.RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;

        var jobId = await ImportAsync(client, new
        {
            data = new
            {
                type = "profile-bulk-import-job",
                attributes = new
                {
                    profiles = new
                    {
                        data = new object[]
                        {
                            new { type = "profile", id = profileId, attributes = new { properties = new { refly_m1_subject = "Hi Ava" } } },
                            new { type = "profile", attributes = new { email = "not-an-email" } },
                        },
                    },
                },
            },
        });

        Assert.Equal("queued", await StatusAsync(client, jobId));
        Assert.False(sandbox.Store.GetProfileProperties(profileId).ContainsKey("refly_m1_subject"));
        // A job takes 75% to 125% of ImportJobDelay (7.5 to 12.5 s here), processing for its second half.
        time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal("processing", await StatusAsync(client, jobId));
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal("complete", await StatusAsync(client, jobId));
        Assert.Equal("Hi Ava", sandbox.Store.GetProfileProperties(profileId)["refly_m1_subject"]);

        using var errors = await client.GetJsonAsync($"/api/profile-bulk-import-jobs/{jobId}/import-errors");
        Assert.Single(errors.RootElement.GetProperty("data").EnumerateArray());

        var unsetJob = await ImportAsync(client, new
        {
            data = new
            {
                type = "profile-bulk-import-job",
                attributes = new
                {
                    profiles = new
                    {
                        data = new object[]
                        {
                            new { type = "profile", id = profileId, attributes = new { }, meta = new { patch_properties = new { unset = new[] { "refly_m1_subject" } } } },
                        },
                    },
                },
            },
        });
        time.Advance(TimeSpan.FromSeconds(13));
        Assert.Equal("complete", await StatusAsync(client, unsetJob));
        Assert.False(sandbox.Store.GetProfileProperties(profileId).ContainsKey("refly_m1_subject"));
    }

    [Fact]
    public async Task BulkImport_WithUnknownAttribute_Returns400()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();

        using var response = await client.SendJsonAsync(HttpMethod.Post, "/api/profile-bulk-import-jobs", new
        {
            data = new
            {
                type = "profile-bulk-import-job",
                attributes = new { profiles = new { data = new object[] { new { type = "profile", attributes = new { email = "a@b.co", nickname = "x" } } } } },
            },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task BulkImport_OverTenThousandProfiles_Returns400()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();
        var profiles = Enumerable.Range(0, 10_001).Select(i => new { type = "profile", attributes = new { email = $"p{i}@example.org" } }).ToArray();

        using var response = await client.SendJsonAsync(HttpMethod.Post, "/api/profile-bulk-import-jobs",
            new { data = new { type = "profile-bulk-import-job", attributes = new { profiles = new { data = profiles } } } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("10000", await response.ErrorDetailAsync());
    }

    [Fact]
    public async Task LargeList_PagedAtSampleCursors_HasStableIdsAndJoinedOrder()
    {
        await using var sandbox = await KlaviyoSandboxServer.StartAsync(new KlaviyoSandboxOptions { RateLimitMultiplier = 1000 });
        var list = sandbox.Store.GetGroups(SandboxGroupKind.List).Single(g => g.Count == 200_000);
        using var client = sandbox.CreateClient();
        // The demo seed writes the sent A/B campaign's refly_ properties; paging itself must materialize nothing.
        var writtenBefore = sandbox.Store.WrittenProfileCount;

        using var group = await client.GetJsonAsync($"/api/lists/{list.Id}?additional-fields[list]=profile_count");
        Assert.Equal(200_000, group.RootElement.GetProperty("data").GetProperty("attributes").GetProperty("profile_count").GetInt64());

        var url = $"/api/lists/{list.Id}/profiles?page[size]=100&fields[profile]=email,first_name,location.city,properties,joined_group_at";
        using var first = await client.GetJsonAsync(url);
        using var again = await client.GetJsonAsync(url);
        Assert.Equal(first.RootElement.GetProperty("data").GetRawText(), again.RootElement.GetProperty("data").GetRawText());
        Assert.Equal(100, first.RootElement.GetProperty("data").GetArrayLength());
        var sample = first.RootElement.GetProperty("data")[0].GetProperty("attributes");
        Assert.False(sample.TryGetProperty("last_name", out _));
        Assert.True(sample.TryGetProperty("joined_group_at", out _));

        // Follow a few next links, then check ids are unique and joined_group_at is ascending.
        var ids = new HashSet<string>();
        var previous = DateTimeOffset.MinValue;
        string? next = url;
        for (var i = 0; i < 5 && next is not null; i++)
        {
            using var doc = await client.GetJsonAsync(next);
            foreach (var p in doc.RootElement.GetProperty("data").EnumerateArray())
            {
                Assert.True(ids.Add(p.GetProperty("id").GetString()!));
                var joined = p.GetProperty("attributes").GetProperty("joined_group_at").GetDateTimeOffset();
                Assert.True(joined > previous);
                previous = joined;
            }
            next = doc.RootElement.GetProperty("links").GetProperty("next").GetString();
        }
        Assert.Equal(500, ids.Count);

        using var tooBig = await client.GetAsync($"/api/lists/{list.Id}/profiles?page[size]=101");
        Assert.Equal(HttpStatusCode.BadRequest, tooBig.StatusCode);
        Assert.True(sandbox.Store.WrittenProfileCount - writtenBefore < 10);
    }

    [Fact]
    public async Task GroupProfiles_WithJoinedWindow_ReturnsOnlyThatWindow()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var list = sandbox.Store.AddList("Audience", 1_000);
        var from = list.JoinedAt(100);
        var to = list.JoinedAt(150);
        using var client = sandbox.CreateClient();

        var filter = $"and(greater-or-equal(joined_group_at,{from:yyyy-MM-ddTHH:mm:ssZ}),less-than(joined_group_at,{to:yyyy-MM-ddTHH:mm:ssZ}))";
        using var doc = await client.GetJsonAsync($"/api/lists/{list.Id}/profiles?page[size]=100&filter={Uri.EscapeDataString(filter)}");

        var joined = doc.RootElement.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("attributes").GetProperty("joined_group_at").GetDateTimeOffset()).ToList();
        Assert.NotEmpty(joined);
        Assert.All(joined, j => Assert.True(j >= from.AddSeconds(-1) && j < to));
    }

    [Fact]
    public async Task GroupProfiles_FilteredByEmail_FindsTheMemberAndProfileGetMatches()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var list = sandbox.Store.AddList("Audience", 50);
        var ids = sandbox.Store.AddProfilesToGroup(list.Id, [new ProfileSeed("maya@example.org", "Maya", "Lind", "Oslo", "Norway", new Dictionary<string, object?> { ["loyalty_tier"] = "gold" })]);
        using var client = sandbox.CreateClient();

        using var doc = await client.GetJsonAsync($"/api/lists/{list.Id}/profiles?filter={Uri.EscapeDataString("equals(email,'maya@example.org')")}");
        var member = Assert.Single(doc.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(ids[0], member.GetProperty("id").GetString());

        using var profile = await client.GetJsonAsync($"/api/profiles/{ids[0]}");
        var attributes = profile.RootElement.GetProperty("data").GetProperty("attributes");
        Assert.Equal("Oslo", attributes.GetProperty("location").GetProperty("city").GetString());
        Assert.Equal("gold", attributes.GetProperty("properties").GetProperty("loyalty_tier").GetString());
        Assert.Equal(51, sandbox.Store.GetGroup(list.Id)!.Count);
    }

    private static async Task<string> ImportAsync(HttpClient client, object body)
    {
        using var response = await client.SendJsonAsync(HttpMethod.Post, "/api/profile-bulk-import-jobs", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("data").GetProperty("id").GetString()!;
    }

    private static async Task<string> StatusAsync(HttpClient client, string jobId)
    {
        using var doc = await client.GetJsonAsync($"/api/profile-bulk-import-jobs/{jobId}");
        return doc.RootElement.GetProperty("data").GetProperty("attributes").GetProperty("status").GetString()!;
    }
}
