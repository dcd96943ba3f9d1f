using System.Net;
using System.Text.Json.Nodes;
using Refly.Core.Klaviyo;

namespace Refly.Tests.Unit.Klaviyo;

/// <summary>The two calls the email preview makes: render_template and get_profiles by e-mail.</summary>
public sealed class KlaviyoClientPreviewTests
{
    [Fact]
    public async Task RenderTemplate_PostsTheTemplateIdAndContext_AndReadsTheRenderedHtml()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Template("TPL1", "<p>Hi Ava</p>"), HttpStatusCode.Created));

        var rendered = await host.Client.RenderTemplateAsync("TPL1", new JsonObject { ["first_name"] = "Ava" }, CancellationToken.None);

        Assert.Equal(new KlaviyoRenderedTemplate("TPL1", "<p>Hi Ava</p>", null), rendered);
        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/template-render", request.Path);
        var data = request.Json.GetProperty("data");
        Assert.Equal("template", data.GetProperty("type").GetString());
        Assert.Equal("TPL1", data.GetProperty("id").GetString());
        Assert.Equal("Ava", data.GetProperty("attributes").GetProperty("context").GetProperty("first_name").GetString());
    }

    [Fact]
    public async Task RenderTemplate_UnknownTemplate_IsNull()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Error(HttpStatusCode.NotFound));

        Assert.Null(await host.Client.RenderTemplateAsync("GONE", new JsonObject(), CancellationToken.None));
    }

    [Fact]
    public async Task FindProfileByEmail_FiltersByEmail_AndIsNullWhenNoneMatches()
    {
        var answers = new Queue<string>([
            KlaviyoJson.Collection([KlaviyoJson.Profile("P1", "ava@example.com")]),
            KlaviyoJson.Collection([]),
        ]);
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(answers.Dequeue()));

        var found = await host.Client.FindProfileByEmailAsync(" ava@example.com ", CancellationToken.None);
        var missing = await host.Client.FindProfileByEmailAsync("nobody@example.com", CancellationToken.None);

        Assert.Equal("P1", found?.Id);
        Assert.Null(missing);
        Assert.Equal("/api/profiles", host.Handler.Requests[0].Path);
        Assert.Equal("equals(email,\"ava@example.com\")", host.Handler.Requests[0].Query["filter"]);
        Assert.DoesNotContain("joined_group_at", host.Handler.Requests[0].Query["fields[profile]"], StringComparison.Ordinal);
        Assert.Null(await host.Client.FindProfileByEmailAsync("a\"b@example.com", CancellationToken.None));
        Assert.Equal(2, host.Handler.Requests.Count);
    }
}
