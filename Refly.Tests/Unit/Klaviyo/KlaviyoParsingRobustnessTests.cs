using System.Text.Json;
using System.Text.Json.Nodes;
using Refly.Core.Klaviyo;

namespace Refly.Tests.Unit.Klaviyo;

/// <summary>
/// Every member of a valid document replaced by a value of another kind: the parser either copes or throws
/// <see cref="KlaviyoResponseException"/>, never NullReferenceException, InvalidOperationException or the like.
/// </summary>
public sealed class KlaviyoParsingRobustnessTests
{
    private static readonly JsonNode?[] Replacements = [null, JsonValue.Create(42), JsonValue.Create("x"), new JsonArray(), new JsonObject(), JsonValue.Create(true)];

    [Fact]
    public void CampaignDocument_WithAnyMemberOfTheWrongKind_ThrowsOnlyResponseException()
    {
        var valid = KlaviyoJson.Single(
            KlaviyoJson.Campaign("C1", ["M1"], ["T1"]),
            [KlaviyoJson.Message("M1", "A", "Hello", "TPL1"), KlaviyoJson.Tag("T1", "Refly: Personalize")]);
        using (var doc = JsonDocument.Parse(valid))
        {
            Assert.Equal("C1", KlaviyoResponseParser.CampaignDocument(doc.RootElement).Id);
        }

        AssertOnlyResponseExceptions(valid, root => KlaviyoResponseParser.CampaignDocument(root));
    }

    [Fact]
    public void ProfilesDocument_WithAnyMemberOfTheWrongKind_ThrowsOnlyResponseException()
    {
        var valid = KlaviyoJson.Collection([KlaviyoJson.Profile("P1", "a@example.com")], "https://a.klaviyo.com/api/lists/L/profiles?page%5Bcursor%5D=n");
        using (var doc = JsonDocument.Parse(valid))
        {
            Assert.Equal("n", KlaviyoResponseParser.Profiles(doc.RootElement).NextCursor);
        }

        AssertOnlyResponseExceptions(valid, root => KlaviyoResponseParser.Profiles(root));
    }

    private static void AssertOnlyResponseExceptions(string validJson, Action<JsonElement> parse)
    {
        var paths = new List<string>();
        CollectPaths(JsonNode.Parse(validJson)!, "", paths);
        Assert.NotEmpty(paths);
        var tried = 0;
        foreach (var path in paths)
        {
            foreach (var replacement in Replacements)
            {
                var mutated = JsonNode.Parse(validJson)!;
                Replace(mutated, path, replacement?.DeepClone());
                using var doc = JsonDocument.Parse(mutated.ToJsonString());
                var ex = Record.Exception(() => parse(doc.RootElement));
                Assert.True(ex is null or KlaviyoResponseException, $"{path} := {replacement?.ToJsonString() ?? "null"} threw {ex}");
                tried++;
            }
        }

        Assert.True(tried > 50);
    }

    private static void CollectPaths(JsonNode node, string path, List<string> paths)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    var childPath = path + "/" + key;
                    paths.Add(childPath);
                    if (child is not null)
                    {
                        CollectPaths(child, childPath, paths);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var childPath = path + "/" + i;
                    paths.Add(childPath);
                    if (array[i] is { } child)
                    {
                        CollectPaths(child, childPath, paths);
                    }
                }

                break;
        }
    }

    private static void Replace(JsonNode root, string path, JsonNode? value)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var parent = root;
        foreach (var part in parts[..^1])
        {
            parent = parent is JsonArray a ? a[int.Parse(part)]! : parent[part]!;
        }

        if (parent is JsonArray array)
        {
            array[int.Parse(parts[^1])] = value;
        }
        else
        {
            parent[parts[^1]] = value;
        }
    }
}
