using System.Net;
using System.Text.Json;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Spec;
using Refly.KlaviyoSandbox.Store;

namespace Refly.Tests.Integration.Sandbox;

public sealed class SandboxTemplateRenderTests
{
    private const string Key = "abc123_0badf00d";

    [Fact]
    public async Task RenderTemplate_ProductMarkup_RendersWithTheProfileContext()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var html = PersonalizedMarkup.TemplateWithPersonalizedBlock(
            "<html><body><p>Hi {{ first_name|default:'there' }},</p>{% if person.loyalty_tier %}<p>{{ person.loyalty_tier }}</p>{% else %}<p>none</p>{% endif %}<p>{% unsubscribe %}</p></body></html>", Key);
        var template = sandbox.Store.AddTemplate("Body", html, null);
        using var client = sandbox.CreateClient();

        var rendered = await RenderAsync(client, template.Id, new
        {
            first_name = "Ava",
            person = new Dictionary<string, object> { ["loyalty_tier"] = "Gold", [PersonalizedMarkup.IntroProperty(Key)] = "<p>Your Gold pick</p>" },
        });

        Assert.Contains("<p>Hi Ava,</p>", rendered, StringComparison.Ordinal);
        Assert.Contains("<p>Your Gold pick</p>", rendered, StringComparison.Ordinal);
        Assert.Contains("<p>Gold</p>", rendered, StringComparison.Ordinal);
        Assert.DoesNotContain("<p>none</p>", rendered, StringComparison.Ordinal);
        Assert.Contains("Unsubscribe</a>", rendered, StringComparison.Ordinal);
        Assert.DoesNotContain("{{", rendered, StringComparison.Ordinal);
        Assert.DoesNotContain("{%", rendered, StringComparison.Ordinal);

        var empty = await RenderAsync(client, template.Id, new { });
        Assert.Contains("<p>Hi there,</p>", empty, StringComparison.Ordinal);
        Assert.Contains("<p>none</p>", empty, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("You're in: early access")]
    [InlineData("Say \"hello\" to 30% off")]
    [InlineData("It's \"both\" }} and a \\ too")]
    [InlineData("Ünïcødé ✨ {braces} 日本語")]
    public async Task RenderTemplate_SubjectExpression_FallsBackToTheExactOriginal_OrShowsThePersonalizedValue(string original)
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var template = sandbox.Store.AddTemplate("Subject", PersonalizedMarkup.SubjectExpression(Key, original), null);
        using var client = sandbox.CreateClient();

        Assert.Equal(original, await RenderAsync(client, template.Id, new { person = new { } }));
        Assert.Equal("Ava's pick", await RenderAsync(client, template.Id, new
        {
            person = new Dictionary<string, object> { [PersonalizedMarkup.SubjectProperty(Key)] = "Ava's pick" },
        }));
    }

    [Fact]
    public async Task RenderTemplate_UnknownTemplateOrBadTemplate_AnswersJsonApiErrors()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var bad = sandbox.Store.AddTemplate("Bad", "<p>{{ first_name|upper }}</p>", null);
        using var client = sandbox.CreateClient();

        using var missing = await client.SendJsonAsync(HttpMethod.Post, "/api/template-render", Body("NOPE", new { }));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var unreadable = await client.SendJsonAsync(HttpMethod.Post, "/api/template-render", Body(bad.Id, new { }));
        Assert.Equal(HttpStatusCode.BadRequest, unreadable.StatusCode);
        Assert.Contains("upper", await unreadable.ErrorDetailAsync(), StringComparison.Ordinal);
        using var noContext = await client.SendJsonAsync(HttpMethod.Post, "/api/template-render",
            new { data = new { type = "template", id = bad.Id, attributes = new { } } });
        Assert.Equal(HttpStatusCode.BadRequest, noContext.StatusCode);
    }

    [Fact]
    public async Task GetProfiles_FilterByEmailOrId_FindsTheProfile_AndRefusesOtherFilters()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var list = sandbox.Store.AddList("Audience", 2);
        var ids = sandbox.Store.AddProfilesToGroup(list.Id, [new ProfileSeed("ava@example.com", "Ava")]);
        using var client = sandbox.CreateClient();

        using (var byEmail = await client.GetJsonAsync("/api/profiles?filter=" + Uri.EscapeDataString("equals(email,\"AVA@example.com\")")))
        {
            var data = byEmail.RootElement.GetProperty("data");
            Assert.Equal(1, data.GetArrayLength());
            Assert.Equal(ids[0], data[0].GetProperty("id").GetString());
            Assert.Equal("Ava", data[0].GetProperty("attributes").GetProperty("first_name").GetString());
        }

        using (var byId = await client.GetJsonAsync("/api/profiles?filter=" + Uri.EscapeDataString($"equals(id,\"{ids[0]}\")")))
        {
            Assert.Equal("ava@example.com", byId.RootElement.GetProperty("data")[0].GetProperty("attributes").GetProperty("email").GetString());
        }

        using (var none = await client.GetJsonAsync("/api/profiles?filter=" + Uri.EscapeDataString("equals(email,\"nobody@example.com\")")))
        {
            Assert.Equal(0, none.RootElement.GetProperty("data").GetArrayLength());
        }

        foreach (var bad in new[] { "equals(first_name,\"Ava\")", "equals(email,", "contains(email,\"ava\")", "" })
        {
            using var response = await client.GetAsync("/api/profiles" + (bad.Length == 0 ? "" : "?filter=" + Uri.EscapeDataString(bad)));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(400, doc.RootElement.GetProperty("errors")[0].GetProperty("status").GetInt32());
        }
    }

    [Fact]
    public async Task RenderTemplate_And_GetProfiles_AnswerWithTheSpecsResponseShapes()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var list = sandbox.Store.AddList("Audience", 1);
        sandbox.Store.AddProfilesToGroup(list.Id, [new ProfileSeed("ava@example.com", "Ava")]);
        var template = sandbox.Store.AddTemplate("Body", "<p>Hi {{ first_name|default:'there' }}</p>", "Hi {{ first_name }}");
        using var client = sandbox.CreateClient();

        using var rendered = await client.SendJsonAsync(HttpMethod.Post, "/api/template-render", Body(template.Id, new { first_name = "Ava" }));
        Assert.Equal(HttpStatusCode.Created, rendered.StatusCode);
        using var renderedDoc = JsonDocument.Parse(await rendered.Content.ReadAsStringAsync());
        var render = SpecCatalog.Instance.Get("render_template");
        SchemaValidator.Validate(renderedDoc.RootElement, render.ResponseSchemas[201], render.Resolver);
        Assert.Equal("Hi Ava", renderedDoc.RootElement.GetProperty("data").GetProperty("attributes").GetProperty("text").GetString());

        using var profiles = await client.GetJsonAsync("/api/profiles?filter=" + Uri.EscapeDataString("any(email,[\"ava@example.com\",\"x@example.com\"])"));
        var get = SpecCatalog.Instance.Get("get_profiles");
        SchemaValidator.Validate(profiles.RootElement, get.ResponseSchemas[200], get.Resolver);
        Assert.Equal(1, profiles.RootElement.GetProperty("data").GetArrayLength());
    }

    private static object Body(string id, object context) =>
        new { data = new { type = "template", id, attributes = new { context } } };

    private static async Task<string> RenderAsync(HttpClient client, string templateId, object context)
    {
        using var response = await client.SendJsonAsync(HttpMethod.Post, "/api/template-render", Body(templateId, context));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("data").GetProperty("attributes").GetProperty("html").GetString()!;
    }
}
