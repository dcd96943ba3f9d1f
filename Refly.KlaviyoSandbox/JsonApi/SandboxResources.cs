using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.JsonApi;

/// <summary>Renders sandbox state as the spec's resource objects (attributes, relationships, links).</summary>
public static class SandboxResources
{
    public static JsonObject Campaign(HttpContext http, SandboxCampaign c, SandboxRequest request)
    {
        var strategy = new JsonObject { ["method"] = c.SendMethod };
        if (c.SendMethod == "static")
        {
            strategy["datetime"] = Date(c.SendDatetime);
            strategy["options"] = new JsonObject { ["is_local"] = false };
        }
        else if (c.SendMethod == "smart_send_time")
        {
            strategy["date"] = c.SendDatetime?.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        }
        var attributes = new JsonObject
        {
            ["name"] = c.Name,
            ["status"] = c.Status,
            ["archived"] = c.Archived,
            ["audiences"] = new JsonObject { ["included"] = new JsonArray([.. c.Included.Select(i => JsonValue.Create(i))]), ["excluded"] = new JsonArray([.. c.Excluded.Select(i => JsonValue.Create(i))]) },
            ["send_options"] = new JsonObject { ["use_smart_sending"] = true },
            ["tracking_options"] = new JsonObject { ["add_tracking_params"] = false, ["custom_tracking_params"] = null, ["is_tracking_clicks"] = true, ["is_tracking_opens"] = true },
            ["send_strategy"] = strategy,
            ["created_at"] = Date(c.CreatedAt),
            ["scheduled_at"] = Date(c.ScheduledAt),
            ["updated_at"] = Date(c.UpdatedAt),
            ["send_time"] = Date(c.SendTime),
        };
        return new JsonObject
        {
            ["type"] = "campaign",
            ["id"] = c.Id,
            ["attributes"] = ApplyFields(attributes, request.Fields("campaign")),
            ["relationships"] = new JsonObject
            {
                ["campaign-messages"] = Relationship(http, "campaign", c.Id, "campaign-messages", request.Includes("campaign-messages"),
                    () => new JsonArray([.. c.Messages.Select(m => Identifier("campaign-message", m.Id))])),
                ["tags"] = Relationship(http, "campaign", c.Id, "tags", request.Includes("tags"),
                    () => new JsonArray([.. c.TagIds.Order(StringComparer.Ordinal).Select(t => Identifier("tag", t))])),
            },
            ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "campaign", c.Id) },
        };
    }

    public static JsonObject Message(HttpContext http, SandboxMessage m, DateTimeOffset? sendTime, SandboxRequest? request)
    {
        var attributes = new JsonObject
        {
            ["definition"] = new JsonObject
            {
                ["channel"] = "email",
                ["label"] = m.Label,
                ["content"] = new JsonObject
                {
                    ["subject"] = m.Subject,
                    ["preview_text"] = m.PreviewText,
                    ["from_email"] = m.FromEmail,
                    ["from_label"] = m.FromLabel,
                    ["reply_to_email"] = m.ReplyToEmail,
                    ["cc_email"] = m.CcEmail,
                    ["bcc_email"] = m.BccEmail,
                },
            },
            ["send_times"] = sendTime is { } at ? new JsonArray(new JsonObject { ["datetime"] = Date(at), ["is_local"] = false }) : new JsonArray(),
            ["created_at"] = Date(m.CreatedAt),
            ["updated_at"] = Date(m.UpdatedAt),
        };
        var relationships = new JsonObject
        {
            ["campaign"] = Relationship(http, "campaign-message", m.Id, "campaign", request?.Includes("campaign") == true, () => Identifier("campaign", m.CampaignId)),
            ["template"] = Relationship(http, "campaign-message", m.Id, "template", request?.Includes("template") == true,
                () => m.TemplateId is null ? null : Identifier("template", m.TemplateId)),
        };
        return new JsonObject
        {
            ["type"] = "campaign-message",
            ["id"] = m.Id,
            ["attributes"] = ApplyFields(attributes, request?.Fields("campaign-message")),
            ["relationships"] = relationships,
            ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "campaign-message", m.Id) },
        };
    }

    /// <summary>
    /// Klaviyo puts relationship linkage (<c>data</c>) in a resource only when the request includes that relationship;
    /// otherwise only links. The sandbox does the same so a client that forgets <c>include</c> fails here, not in production.
    /// </summary>
    private static JsonObject Relationship(HttpContext http, string type, string id, string name, bool included, Func<JsonNode?> data)
    {
        var relationship = new JsonObject();
        if (included)
        {
            relationship["data"] = data();
        }
        relationship["links"] = RelationshipLinks(http, type, id, name);
        return relationship;
    }

    /// <summary>
    /// The flatter, older message shape that POST /api/campaign-message-assign-template answers with (label, channel and
    /// content at the top of attributes); it carries the newly assigned template clone's id.
    /// </summary>
    public static JsonObject AssignedMessage(HttpContext http, SandboxMessage m, DateTimeOffset? sendTime) => new()
    {
        ["type"] = "campaign-message",
        ["id"] = m.Id,
        ["attributes"] = new JsonObject
        {
            ["label"] = m.Label ?? "",
            ["channel"] = "email",
            ["content"] = new JsonObject
            {
                ["subject"] = m.Subject,
                ["preview_text"] = m.PreviewText,
                ["from_email"] = m.FromEmail,
                ["from_label"] = m.FromLabel,
                ["reply_to_email"] = m.ReplyToEmail,
                ["cc_email"] = m.CcEmail,
                ["bcc_email"] = m.BccEmail,
            },
            ["send_times"] = sendTime is { } at ? new JsonArray(new JsonObject { ["datetime"] = Date(at), ["is_local"] = false }) : new JsonArray(),
            ["created_at"] = Date(m.CreatedAt),
            ["updated_at"] = Date(m.UpdatedAt),
        },
        ["relationships"] = new JsonObject
        {
            ["campaign"] = new JsonObject { ["data"] = Identifier("campaign", m.CampaignId), ["links"] = RelationshipLinks(http, "campaign-message", m.Id, "campaign") },
            ["template"] = new JsonObject { ["data"] = Identifier("template", m.TemplateId!), ["links"] = RelationshipLinks(http, "campaign-message", m.Id, "template") },
        },
        ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "campaign-message", m.Id) },
    };

    public static JsonObject Tag(HttpContext http, SandboxTag t, SandboxRequest? request) => new()
    {
        ["type"] = "tag",
        ["id"] = t.Id,
        ["attributes"] = ApplyFields(new JsonObject { ["name"] = t.Name }, request?.Fields("tag")),
        ["relationships"] = new JsonObject
        {
            ["campaigns"] = new JsonObject { ["links"] = RelationshipLinks(http, "tag", t.Id, "campaigns") },
        },
        ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "tag", t.Id) },
    };

    public static JsonObject Template(HttpContext http, SandboxTemplate t, SandboxRequest? request) => new()
    {
        ["type"] = "template",
        ["id"] = t.Id,
        ["attributes"] = ApplyFields(new JsonObject
        {
            ["name"] = t.Name,
            ["editor_type"] = t.EditorType,
            ["html"] = t.Html,
            ["text"] = t.Text,
            ["amp"] = t.Amp,
            ["created"] = Date(t.Created),
            ["updated"] = Date(t.Updated),
        }, request?.Fields("template")),
        ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "template", t.Id) },
    };

    public static JsonObject Group(HttpContext http, SandboxGroup g, SandboxRequest request)
    {
        var type = g.Kind == SandboxGroupKind.List ? "list" : "segment";
        var attributes = new JsonObject { ["name"] = g.Name, ["created"] = Date(g.Created), ["updated"] = Date(g.Created) };
        if (g.Kind == SandboxGroupKind.List)
        {
            attributes["opt_in_process"] = "single_opt_in";
        }
        else
        {
            attributes["definition"] = new JsonObject { ["condition_groups"] = new JsonArray() };
            attributes["is_active"] = true;
            attributes["is_processing"] = false;
            attributes["is_starred"] = false;
        }
        if (request.AdditionalField(type, "profile_count"))
        {
            attributes["profile_count"] = g.Count;
        }
        return new JsonObject
        {
            ["type"] = type,
            ["id"] = g.Id,
            ["attributes"] = ApplyFields(attributes, request.Fields(type)),
            ["relationships"] = new JsonObject
            {
                ["profiles"] = new JsonObject { ["links"] = RelationshipLinks(http, type, g.Id, "profiles") },
                ["tags"] = new JsonObject { ["links"] = RelationshipLinks(http, type, g.Id, "tags") },
            },
            ["links"] = new JsonObject { ["self"] = ResourceUrl(http, type, g.Id) },
        };
    }

    /// <summary>
    /// A profile; <paramref name="joinedGroupAt"/> is set for list/segment members (the spec requires it there).
    /// Built directly from the fieldset because profile pages are the sandbox's hot path.
    /// </summary>
    public static JsonObject Profile(HttpContext http, SandboxProfile p, DateTimeOffset? joinedGroupAt, SparseFieldset? fields)
    {
        var attributes = new JsonObject();
        void Put(string name, JsonNode? value)
        {
            if (fields is null || fields.Wants(name))
            {
                attributes[name] = value;
            }
        }
        Put("email", p.Email);
        Put("phone_number", p.PhoneNumber);
        Put("external_id", p.ExternalId);
        Put("first_name", p.FirstName);
        Put("last_name", p.LastName);
        Put("organization", p.Organization);
        Put("locale", p.Locale);
        Put("title", p.Title);
        Put("image", null);
        Put("created", Date(p.Created));
        Put("updated", Date(p.Updated));
        Put("last_event_date", null);
        if (fields is null || fields.Wants("location"))
        {
            var inside = fields?.Inside("location");
            var location = new JsonObject();
            void Loc(string name, string? value)
            {
                if (inside is null || inside.Wants(name))
                {
                    location[name] = value;
                }
            }
            Loc("address1", null);
            Loc("address2", null);
            Loc("city", p.City);
            Loc("country", p.Country);
            if (inside is null || inside.Wants("latitude"))
            {
                location["latitude"] = null;
            }
            if (inside is null || inside.Wants("longitude"))
            {
                location["longitude"] = null;
            }
            Loc("region", p.Region);
            Loc("zip", null);
            Loc("timezone", p.Timezone);
            Loc("ip", null);
            attributes["location"] = location;
        }
        if (fields is null || fields.Wants("properties"))
        {
            var properties = new JsonObject();
            foreach (var (name, value) in p.Properties)
            {
                properties[name] = value switch
                {
                    null => null,
                    JsonNode node => node.DeepClone(),
                    string s => s,
                    long l => l,
                    int i => i,
                    double d => d,
                    bool b => b,
                    _ => value.ToString(),
                };
            }
            attributes["properties"] = properties;
        }
        if (joinedGroupAt is { } joined)
        {
            Put("joined_group_at", Date(joined));
        }
        return new JsonObject
        {
            ["type"] = "profile",
            ["id"] = p.Id,
            ["attributes"] = attributes,
            ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "profile", p.Id) },
        };
    }
}
