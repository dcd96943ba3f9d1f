using System.Text.Json;

namespace Refly.Core.Klaviyo;

/// <summary>
/// The one parser of Klaviyo's answers: a JSON:API document in, the client's models out. Built on the defensive
/// readers of <see cref="JsonApi"/>, so a malformed answer becomes a <see cref="KlaviyoResponseException"/>.
/// </summary>
internal static partial class KlaviyoResponseParser
{
    /// <summary>The first account of GET /api/accounts.</summary>
    public static KlaviyoAccount Account(JsonElement root)
    {
        var data = DataArray(root);
        if (data.GetArrayLength() == 0)
        {
            throw new KlaviyoResponseException("/api/accounts returned no account.");
        }

        var account = JsonApi.RequireObject(data[0], "account");
        var id = JsonApi.RequireString(account, "id", "account");
        var attributes = JsonApi.OptionalObject(account, "attributes", "account");
        var contact = attributes is null ? null : JsonApi.OptionalObject(attributes.Value, "contact_information", "account.attributes");
        return new KlaviyoAccount(
            id,
            contact is null ? null : JsonApi.OptionalString(contact.Value, "organization_name", "account.contact_information"),
            contact is null ? null : JsonApi.OptionalString(contact.Value, "default_sender_email", "account.contact_information"));
    }

    /// <summary>A page of campaigns with their included messages and tags.</summary>
    public static KlaviyoPage<KlaviyoCampaign> Campaigns(JsonElement root)
    {
        var included = JsonApi.IndexIncluded(root);
        return new KlaviyoPage<KlaviyoCampaign>(
            DataArray(root).EnumerateArray().Select(c => Campaign(c, included)).ToList(),
            JsonApi.NextCursor(root));
    }

    /// <summary>A single-campaign document (data plus included messages and tags).</summary>
    public static KlaviyoCampaign CampaignDocument(JsonElement root) =>
        Campaign(Data(root), JsonApi.IndexIncluded(root));

    /// <summary>A single campaign-message document.</summary>
    public static KlaviyoCampaignMessage MessageDocument(JsonElement root) => Message(Data(root));

    /// <summary>The estimated recipient count of a campaign-recipient-estimation document, if any.</summary>
    public static long? RecipientEstimate(JsonElement root)
    {
        var attributes = JsonApi.OptionalObject(Data(root), "attributes", "campaign-recipient-estimation");
        return attributes is null
            ? null
            : JsonApi.OptionalLong(attributes.Value, "estimated_recipient_count", "campaign-recipient-estimation.attributes");
    }

    public static KlaviyoTemplate TemplateDocument(JsonElement root)
    {
        var data = Data(root);
        var id = JsonApi.RequireString(data, "id", "template");
        var attributes = JsonApi.RequireObject(data, "attributes", $"template {id}");
        var what = $"template {id}.attributes";
        return new KlaviyoTemplate(
            id,
            JsonApi.OptionalString(attributes, "name", what) ?? "",
            JsonApi.OptionalString(attributes, "editor_type", what) ?? "",
            JsonApi.OptionalString(attributes, "html", what),
            JsonApi.OptionalString(attributes, "text", what));
    }

    /// <summary>The id of the resource a create call answered with.</summary>
    public static string CreatedId(JsonElement root, string what) => JsonApi.RequireString(Data(root), "id", what);

    public static IEnumerable<KlaviyoTag> Tags(JsonElement root) => DataArray(root).EnumerateArray().Select(Tag);

    /// <summary>The ids of a relationship document (<c>data[].id</c>).</summary>
    public static List<string> RelationshipIds(JsonElement root) =>
        DataArray(root).EnumerateArray()
            .Select(item => JsonApi.RequireString(JsonApi.RequireObject(item, "data[]"), "id", "data[]"))
            .ToList();

    /// <summary>A list or segment document with its profile_count additional field.</summary>
    public static KlaviyoGroup GroupDocument(JsonElement root, KlaviyoGroupRef group)
    {
        var what = $"{group.Kind.ToString().ToLowerInvariant()} {group.Id}";
        var attributes = JsonApi.OptionalObject(Data(root), "attributes", what);
        return new KlaviyoGroup(
            group,
            attributes is null ? "" : JsonApi.OptionalString(attributes.Value, "name", what + ".attributes") ?? "",
            attributes is null ? null : JsonApi.OptionalLong(attributes.Value, "profile_count", what + ".attributes"));
    }

    /// <summary>A collection of profiles (one page of a list's or segment's members); a profile without an id is skipped.</summary>
    public static KlaviyoPage<KlaviyoProfile> Profiles(JsonElement root, Action<string>? skipped = null)
    {
        var profiles = new List<KlaviyoProfile>();
        foreach (var item in DataArray(root).EnumerateArray())
        {
            var profile = Profile(item);
            if (profile is null)
            {
                skipped?.Invoke("profile without id");
                continue;
            }

            profiles.Add(profile);
        }

        return new KlaviyoPage<KlaviyoProfile>(profiles, JsonApi.NextCursor(root));
    }

    public static KlaviyoImportJob ImportJobDocument(JsonElement root)
    {
        var data = Data(root);
        var id = JsonApi.RequireString(data, "id", "profile-bulk-import-job");
        var what = $"profile-bulk-import-job {id}.attributes";
        var attributes = JsonApi.RequireObject(data, "attributes", $"profile-bulk-import-job {id}");
        return new KlaviyoImportJob(
            id,
            JsonApi.RequireString(attributes, "status", what),
            ToInt(JsonApi.OptionalLong(attributes, "total_count", what)),
            ToInt(JsonApi.OptionalLong(attributes, "completed_count", what)),
            ToInt(JsonApi.OptionalLong(attributes, "failed_count", what)),
            JsonApi.OptionalDate(attributes, "completed_at", what));
    }

    public static KlaviyoPage<KlaviyoImportError> ImportErrors(JsonElement root) =>
        new(DataArray(root).EnumerateArray().Select(ImportError).ToList(), JsonApi.NextCursor(root));

    /// <summary>A page of GET /api/profile-bulk-import-jobs: each job's id, status and creation time.</summary>
    public static KlaviyoPage<KlaviyoImportJobListing> ImportJobListing(JsonElement root) =>
        new(DataArray(root).EnumerateArray().Select(item =>
        {
            var id = JsonApi.RequireString(item, "id", "profile-bulk-import-job");
            var what = $"profile-bulk-import-job {id}.attributes";
            var attributes = JsonApi.RequireObject(item, "attributes", $"profile-bulk-import-job {id}");
            return new KlaviyoImportJobListing(id, JsonApi.RequireString(attributes, "status", what), JsonApi.RequireDate(attributes, "created_at", what));
        }).ToList(), JsonApi.NextCursor(root));

    private static JsonElement Data(JsonElement root) => JsonApi.RequireObject(root, "data", "document");

    private static JsonElement DataArray(JsonElement root) => JsonApi.RequireArray(root, "data", "document");

    private static KlaviyoCampaign Campaign(JsonElement element, Dictionary<(string Type, string Id), JsonElement> included)
    {
        JsonApi.RequireObject(element, "campaign");
        var id = JsonApi.RequireString(element, "id", "campaign");
        var what = $"campaign {id}";
        var attributes = JsonApi.RequireObject(element, "attributes", what);
        var attrWhat = what + ".attributes";

        var audiences = JsonApi.OptionalObject(attributes, "audiences", attrWhat);
        var includedAudiences = audiences is null ? [] : StringArray(audiences.Value, "included", attrWhat + ".audiences");
        var excluded = audiences is null ? [] : StringArray(audiences.Value, "excluded", attrWhat + ".audiences");

        var strategy = JsonApi.OptionalObject(attributes, "send_strategy", attrWhat);
        var sendStrategy = strategy is null
            ? new KlaviyoSendStrategy("unknown", null)
            : new KlaviyoSendStrategy(
                JsonApi.OptionalString(strategy.Value, "method", attrWhat + ".send_strategy") ?? "unknown",
                JsonApi.OptionalDate(strategy.Value, "datetime", attrWhat + ".send_strategy"));

        var messages = Related(element, "campaign-messages", "campaign-message", included, what, Message);
        var tags = Related(element, "tags", "tag", included, what, Tag);
        return new KlaviyoCampaign(
            id,
            JsonApi.RequireString(attributes, "name", attrWhat),
            JsonApi.RequireString(attributes, "status", attrWhat),
            JsonApi.OptionalBool(attributes, "archived", attrWhat) ?? false,
            new KlaviyoAudiences(includedAudiences, excluded),
            sendStrategy,
            JsonApi.OptionalDate(attributes, "scheduled_at", attrWhat),
            JsonApi.OptionalDate(attributes, "send_time", attrWhat),
            JsonApi.RequireDate(attributes, "created_at", attrWhat),
            JsonApi.RequireDate(attributes, "updated_at", attrWhat),
            messages,
            tags);
    }

    /// <summary>The included resources a to-many relationship names, in its order; one missing from 'included' is an error.</summary>
    private static List<T> Related<T>(
        JsonElement element, string relationship, string type, Dictionary<(string Type, string Id), JsonElement> included,
        string what, Func<JsonElement, T> parse)
    {
        var items = new List<T>();
        foreach (var id in JsonApi.ToManyIds(element, relationship, what) ?? [])
        {
            if (!included.TryGetValue((type, id), out var item))
            {
                throw new KlaviyoResponseException($"{what} refers to {type} {id}, which is not in 'included'.");
            }

            items.Add(parse(item));
        }

        return items;
    }

    private static KlaviyoCampaignMessage Message(JsonElement element)
    {
        JsonApi.RequireObject(element, "campaign-message");
        var id = JsonApi.RequireString(element, "id", "campaign-message");
        var what = $"campaign-message {id}";
        var attributes = JsonApi.OptionalObject(element, "attributes", what);
        var definition = attributes is null ? null : JsonApi.OptionalObject(attributes.Value, "definition", what + ".attributes");
        var defWhat = what + ".definition";
        var content = definition is null ? null : JsonApi.OptionalObject(definition.Value, "content", defWhat);
        var contentWhat = defWhat + ".content";
        return new KlaviyoCampaignMessage(
            id,
            definition is null ? "email" : JsonApi.OptionalString(definition.Value, "channel", defWhat) ?? "email",
            definition is null ? null : JsonApi.OptionalString(definition.Value, "label", defWhat),
            content is null ? null : JsonApi.OptionalString(content.Value, "subject", contentWhat),
            content is null ? null : JsonApi.OptionalString(content.Value, "preview_text", contentWhat),
            content is null ? null : JsonApi.OptionalString(content.Value, "from_email", contentWhat),
            content is null ? null : JsonApi.OptionalString(content.Value, "from_label", contentWhat),
            JsonApi.ToOneId(element, "template", what));
    }

    private static KlaviyoTag Tag(JsonElement element)
    {
        JsonApi.RequireObject(element, "tag");
        var id = JsonApi.RequireString(element, "id", "tag");
        var attributes = JsonApi.RequireObject(element, "attributes", $"tag {id}");
        return new KlaviyoTag(id, JsonApi.RequireString(attributes, "name", $"tag {id}.attributes"));
    }

    private static KlaviyoProfile? Profile(JsonElement element)
    {
        JsonApi.RequireObject(element, "profile");
        var id = JsonApi.OptionalString(element, "id", "profile");
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        var what = $"profile {id}.attributes";
        var attributes = JsonApi.OptionalObject(element, "attributes", $"profile {id}");
        if (attributes is null)
        {
            return new KlaviyoProfile(id, null, null, null, null, null, null, new Dictionary<string, string?>());
        }

        var a = attributes.Value;
        var location = JsonApi.OptionalObject(a, "location", what);
        var properties = new Dictionary<string, string?>(StringComparer.Ordinal);
        var props = JsonApi.OptionalObject(a, "properties", what);
        if (props is not null)
        {
            foreach (var property in props.Value.EnumerateObject())
            {
                properties[property.Name] = JsonApi.AsText(property.Value);
            }
        }

        return new KlaviyoProfile(
            id,
            JsonApi.OptionalString(a, "email", what),
            JsonApi.OptionalString(a, "first_name", what),
            JsonApi.OptionalString(a, "last_name", what),
            location is null ? null : JsonApi.OptionalString(location.Value, "city", what + ".location"),
            location is null ? null : JsonApi.OptionalString(location.Value, "country", what + ".location"),
            JsonApi.OptionalDate(a, "joined_group_at", what),
            properties);
    }

    private static KlaviyoImportError ImportError(JsonElement element)
    {
        JsonApi.RequireObject(element, "import-error");
        var what = "import-error.attributes";
        var attributes = JsonApi.OptionalObject(element, "attributes", "import-error");
        if (attributes is null)
        {
            return new KlaviyoImportError(null, null, null, null, null);
        }

        var a = attributes.Value;
        string? email = null;
        string? profileId = null;
        if (a.TryGetProperty("original_payload", out var payload) && payload.ValueKind == JsonValueKind.Object)
        {
            // The payload is the profile as we sent it (type, id, attributes.email); tolerate a flat shape too.
            profileId = payload.TryGetProperty("id", out var pid) && pid.ValueKind == JsonValueKind.String ? pid.GetString() : null;
            var source = payload.TryGetProperty("attributes", out var pa) && pa.ValueKind == JsonValueKind.Object ? pa : payload;
            email = source.TryGetProperty("email", out var pe) && pe.ValueKind == JsonValueKind.String ? pe.GetString() : null;
        }

        return new KlaviyoImportError(
            JsonApi.OptionalString(a, "code", what),
            JsonApi.OptionalString(a, "title", what),
            JsonApi.OptionalString(a, "detail", what),
            email,
            profileId);
    }

    private static List<string> StringArray(JsonElement parent, string name, string what) =>
        JsonApi.OptionalArray(parent, name, what)
            .Select(item => item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw new KlaviyoResponseException($"{what}.{name} holds a non-string."))
            .ToList();

    private static int ToInt(long? value) => value is null ? 0 : (int)Math.Clamp(value.Value, int.MinValue, int.MaxValue);
}
