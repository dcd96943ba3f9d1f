using System.Security.Cryptography;
using Refly.KlaviyoSandbox.JsonApi;

namespace Refly.KlaviyoSandbox.Store;

/// <summary>
/// The sandbox account's state. HTTP handlers and tests share it: tests build scenarios and mutate state directly
/// (status, send time, tags, deletion, profiles, faults) and read what the client wrote. Campaign, template and
/// tag state sits behind one short lock that is never held across an await; profiles live in
/// <see cref="SandboxStore"/>'s profile part.
/// </summary>
public sealed partial class SandboxStore
{
    /// <summary>Klaviyo locks a campaign this long before its send time.</summary>
    public static readonly TimeSpan EditLock = TimeSpan.FromMinutes(15);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, SandboxCampaign> _campaigns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SandboxTemplate> _templates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SandboxTag> _tags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _estimationJobs = new(StringComparer.Ordinal);
    private readonly Random _dice;
    private double _faultRate;
    private long _latencyTicks;

    public SandboxStore(KlaviyoSandboxOptions options)
    {
        TimeProvider = options.TimeProvider;
        Seed = options.RandomSeed;
        ImportJobDelay = options.ImportJobDelay;
        FaultRate = options.FaultRate;
        Latency = options.Latency;
        Epoch = TimeProvider.GetUtcNow();
        _dice = new Random(options.RandomSeed);
    }

    public TimeProvider TimeProvider { get; }
    public int Seed { get; }
    public DateTimeOffset Epoch { get; }
    public RequestCounters Counters { get; } = new();
    public TimeSpan ImportJobDelay { get; set; }

    /// <summary>Fraction of requests answered 503; changeable while requests run.</summary>
    public double FaultRate
    {
        get => Volatile.Read(ref _faultRate);
        set => Volatile.Write(ref _faultRate, Math.Clamp(value, 0, 1));
    }

    /// <summary>Delay added to every request; changeable while requests run.</summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));
        set => Interlocked.Exchange(ref _latencyTicks, Math.Max(0, value.Ticks));
    }

    /// <summary>Whether this request is answered 503; seeded so a benchmark's faults are reproducible.</summary>
    internal bool RollFault()
    {
        var rate = FaultRate;
        if (rate <= 0)
        {
            return false;
        }
        lock (_dice)
        {
            return _dice.NextDouble() < rate;
        }
    }

    public string AccountId { get; } = "RFLYDEMO";
    public string OrganizationName { get; set; } = "Refly Demo Shop";
    public string DefaultSenderEmail { get; set; } = "hello@refly-demo.shop";

    private DateTimeOffset Now => TimeProvider.GetUtcNow();

    // ---------------- Campaigns (builder + test mutations) ----------------

    /// <summary>Adds a campaign; each message gets its own CODE template made from its html.</summary>
    public SandboxCampaign AddCampaign(
        string name,
        string status = CampaignStatuses.Draft,
        DateTimeOffset? sendTime = null,
        IEnumerable<MessageSeed>? messages = null,
        IEnumerable<string>? included = null,
        IEnumerable<string>? excluded = null,
        IEnumerable<string>? tags = null,
        bool archived = false,
        DateTimeOffset? createdAt = null)
    {
        if (!CampaignStatuses.All.Contains(status))
        {
            throw new ArgumentException($"'{status}' is not a campaign status of the spec.", nameof(status));
        }
        lock (_gate)
        {
            var created = createdAt ?? Now;
            var campaign = new SandboxCampaign
            {
                Id = NewId(), Name = name, Status = status, Archived = archived, CreatedAt = created, UpdatedAt = created,
                Included = [.. included ?? []], Excluded = [.. excluded ?? []],
                // Without a send time Klaviyo's strategy is immediate; a static strategy always carries its datetime.
                SendMethod = sendTime is null ? "immediate" : "static", SendDatetime = sendTime,
                SendTime = status == CampaignStatuses.Draft ? null : sendTime,
                ScheduledAt = status == CampaignStatuses.Draft || sendTime is null ? null : created,
            };
            foreach (var seed in messages ?? [new MessageSeed("Email", name, "", DefaultHtml(name))])
            {
                var template = NewTemplateLocked($"{name}: {seed.Label}", seed.Html, reusable: false);
                campaign.Messages.Add(new SandboxMessage
                {
                    Id = NewId(), CampaignId = campaign.Id, Label = seed.Label, Subject = seed.Subject, PreviewText = seed.PreviewText,
                    TemplateId = template.Id, CreatedAt = created, UpdatedAt = created,
                });
            }
            foreach (var tag in tags ?? [])
            {
                campaign.TagIds.Add(GetOrAddTagLocked(tag).Id);
            }
            _campaigns[campaign.Id] = campaign;
            if (status == CampaignStatuses.Sent)
            {
                CaptureSendLocked(campaign);
            }
            return campaign.Clone();
        }
    }

    /// <summary>A copy of the campaign as it is now, or null.</summary>
    public SandboxCampaign? GetCampaign(string id)
    {
        lock (_gate)
        {
            return _campaigns.TryGetValue(id, out var c) ? Advance(c).Clone() : null;
        }
    }

    public IReadOnlyList<SandboxCampaign> GetCampaigns()
    {
        lock (_gate)
        {
            return _campaigns.Values.Select(c => Advance(c).Clone()).ToList();
        }
    }

    /// <summary>Sets any raw status (and optionally the send time), as if the marketer changed it in Klaviyo.</summary>
    public void SetCampaignStatus(string campaignId, string status, DateTimeOffset? sendTime = null)
    {
        if (!CampaignStatuses.All.Contains(status))
        {
            throw new ArgumentException($"'{status}' is not a campaign status of the spec.", nameof(status));
        }
        MutateCampaign(campaignId, c =>
        {
            var wasSent = c.Status == CampaignStatuses.Sent;
            c.Status = status;
            if (sendTime is not null)
            {
                c.SendDatetime = sendTime;
                c.SendTime = sendTime;
                c.ScheduledAt ??= Now;
            }
            if (status == CampaignStatuses.Sent && !wasSent)
            {
                CaptureSendLocked(c);
            }
        });
        GeneratePendingSends();
    }

    public void SetCampaignSendTime(string campaignId, DateTimeOffset sendTime) =>
        MutateCampaign(campaignId, c =>
        {
            c.SendMethod = "static";
            c.SendDatetime = sendTime;
            if (c.Status != CampaignStatuses.Draft)
            {
                c.SendTime = sendTime;
            }
        });

    public void RenameCampaign(string campaignId, string name) => MutateCampaign(campaignId, c => c.Name = name);

    public bool DeleteCampaign(string campaignId)
    {
        lock (_gate)
        {
            return _campaigns.Remove(campaignId);
        }
    }

    public void AddCampaignTag(string campaignId, string tagName)
    {
        lock (_gate)
        {
            var tag = GetOrAddTagLocked(tagName);
            RequireCampaignLocked(campaignId).TagIds.Add(tag.Id);
        }
    }

    public void RemoveCampaignTag(string campaignId, string tagName)
    {
        lock (_gate)
        {
            var tag = _tags.Values.FirstOrDefault(t => t.Name == tagName);
            if (tag is not null)
            {
                RequireCampaignLocked(campaignId).TagIds.Remove(tag.Id);
            }
        }
    }

    public SandboxMessage? GetMessage(string messageId)
    {
        lock (_gate)
        {
            return FindMessageLocked(messageId)?.Message.Clone();
        }
    }

    // ---------------- Rules the API enforces ----------------

    /// <summary>PATCH /api/campaign-messages/{id}: content changes only while Draft and never inside the send-time lock.</summary>
    public SandboxMessage UpdateMessage(string messageId, Action<SandboxMessage> change)
    {
        lock (_gate)
        {
            var (campaign, message) = FindMessageLocked(messageId) ?? throw KlaviyoApiException.NotFound($"Campaign message {messageId} does not exist.");
            RequireEditableLocked(campaign, "The campaign message");
            change(message);
            message.UpdatedAt = campaign.UpdatedAt = Now;
            return message.Clone();
        }
    }

    /// <summary>POST /api/campaign-message-assign-template: Klaviyo clones the template and assigns the non-reusable clone.</summary>
    public SandboxMessage AssignTemplate(string messageId, string templateId)
    {
        lock (_gate)
        {
            var (campaign, message) = FindMessageLocked(messageId) ?? throw KlaviyoApiException.NotFound($"Campaign message {messageId} does not exist.");
            if (!_templates.TryGetValue(templateId, out var template))
            {
                throw KlaviyoApiException.NotFound($"Template {templateId} does not exist.");
            }
            RequireEditableLocked(campaign, "The template of the campaign message");
            var clone = NewTemplateLocked(template.Name, template.Html, reusable: false);
            clone.Text = template.Text;
            message.TemplateId = clone.Id;
            message.UpdatedAt = campaign.UpdatedAt = Now;
            return message.Clone();
        }
    }

    /// <summary>PATCH /api/campaign-send-jobs/{id} action revert: Scheduled back to Draft, outside the send-time lock.</summary>
    public void RevertSendJob(string campaignId)
    {
        lock (_gate)
        {
            var c = RequireCampaignOr404Locked(campaignId);
            if (c.Status != CampaignStatuses.Scheduled)
            {
                throw KlaviyoApiException.Conflict($"Only a Scheduled campaign can be reverted to Draft; campaign {campaignId} is {c.Status}.", "/data/attributes/action");
            }
            RequireOutsideLockLocked(c, "The campaign cannot be reverted");
            c.Status = CampaignStatuses.Draft;
            c.ScheduledAt = null;
            c.SendTime = null;
            c.UpdatedAt = Now;
        }
    }

    /// <summary>PATCH /api/campaign-send-jobs/{id} action cancel: a Scheduled or Sending campaign is cancelled for good.</summary>
    public void CancelSendJob(string campaignId)
    {
        lock (_gate)
        {
            var c = RequireCampaignOr404Locked(campaignId);
            if (c.Status is not (CampaignStatuses.Scheduled or CampaignStatuses.Sending or "Preparing to send" or "Preparing to schedule" or "Adding Recipients"))
            {
                throw KlaviyoApiException.Conflict($"Campaign {campaignId} is {c.Status}; only a scheduled or sending campaign can be cancelled.", "/data/attributes/action");
            }
            c.Status = CampaignStatuses.Cancelled;
            c.UpdatedAt = Now;
        }
    }

    /// <summary>POST /api/campaign-send-jobs: a Draft is scheduled at its static send time, or starts sending when immediate.</summary>
    public string CreateSendJob(string campaignId)
    {
        lock (_gate)
        {
            var c = RequireCampaignOr404Locked(campaignId);
            if (c.Status != CampaignStatuses.Draft)
            {
                throw KlaviyoApiException.Conflict($"Only a Draft campaign can be sent or scheduled; campaign {campaignId} is {c.Status}.");
            }
            if (c.Included.Count == 0)
            {
                throw KlaviyoApiException.Conflict("The campaign has no included audience.");
            }
            var now = Now;
            if (c.SendMethod == "immediate")
            {
                c.Status = CampaignStatuses.Sending;
                c.SendTime = now;
                c.ScheduledAt = now;
            }
            else
            {
                var at = c.SendDatetime ?? throw KlaviyoApiException.Conflict("The campaign's send strategy has no send time.");
                if (at - now < EditLock)
                {
                    throw KlaviyoApiException.Conflict(
                        $"The send time {at:O} must be at least {EditLock.TotalMinutes:0} minutes in the future to schedule the campaign.");
                }
                c.Status = CampaignStatuses.Scheduled;
                c.SendTime = at;
                c.ScheduledAt = now;
            }
            c.UpdatedAt = now;
            return c.Status;
        }
    }

    /// <summary>Send job status as GET /api/campaign-send-jobs/{id} reports it; null when the campaign has none (Draft).</summary>
    public string? SendJobStatus(string campaignId)
    {
        lock (_gate)
        {
            var c = RequireCampaignOr404Locked(campaignId);
            Advance(c);
            return c.Status switch
            {
                CampaignStatuses.Draft => null,
                CampaignStatuses.Scheduled or "Preparing to schedule" => "queued",
                CampaignStatuses.Sending or "Preparing to send" or "Adding Recipients" or "Sending Segments" => "processing",
                CampaignStatuses.Sent or "Variations Sent" => "complete",
                _ when c.Status.StartsWith(CampaignStatuses.Cancelled, StringComparison.Ordinal) => "cancelled",
                _ => "queued",
            };
        }
    }

    public void StartRecipientEstimation(string campaignId)
    {
        lock (_gate)
        {
            RequireCampaignOr404Locked(campaignId);
            _estimationJobs[campaignId] = Now;
        }
    }

    public string RecipientEstimationJobStatus(string campaignId)
    {
        lock (_gate)
        {
            RequireCampaignOr404Locked(campaignId);
            return "complete";
        }
    }

    // ---------------- Templates ----------------

    public SandboxTemplate AddTemplate(string name, string html, string? text = null)
    {
        lock (_gate)
        {
            var t = NewTemplateLocked(name, html, reusable: true);
            t.Text = text;
            return t.Clone();
        }
    }

    public SandboxTemplate? GetTemplate(string id)
    {
        lock (_gate)
        {
            return _templates.TryGetValue(id, out var t) ? t.Clone() : null;
        }
    }

    public IReadOnlyList<SandboxTemplate> GetTemplates(bool reusableOnly)
    {
        lock (_gate)
        {
            return _templates.Values.Where(t => !reusableOnly || t.Reusable).Select(t => t.Clone()).ToList();
        }
    }

    public SandboxTemplate UpdateTemplate(string id, Action<SandboxTemplate> change)
    {
        lock (_gate)
        {
            var t = _templates.TryGetValue(id, out var found) ? found : throw KlaviyoApiException.NotFound($"Template {id} does not exist.");
            change(t);
            t.Updated = Now;
            return t.Clone();
        }
    }

    public bool DeleteTemplate(string id)
    {
        lock (_gate)
        {
            return _templates.Remove(id);
        }
    }

    public SandboxTemplate CloneTemplate(string id, string? name)
    {
        lock (_gate)
        {
            var t = _templates.TryGetValue(id, out var found) ? found : throw KlaviyoApiException.NotFound($"Template {id} does not exist.");
            var clone = NewTemplateLocked(name ?? $"{t.Name} (clone)", t.Html, reusable: true);
            clone.Text = t.Text;
            return clone.Clone();
        }
    }

    // ---------------- Tags ----------------

    public SandboxTag AddTag(string name)
    {
        lock (_gate)
        {
            return GetOrAddTagLocked(name);
        }
    }

    public IReadOnlyList<SandboxTag> GetTags()
    {
        lock (_gate)
        {
            return [.. _tags.Values];
        }
    }

    public SandboxTag? GetTag(string id)
    {
        lock (_gate)
        {
            return _tags.GetValueOrDefault(id);
        }
    }

    public IReadOnlyList<string> CampaignIdsForTag(string tagId)
    {
        lock (_gate)
        {
            return _campaigns.Values.Where(c => c.TagIds.Contains(tagId)).OrderBy(c => c.CreatedAt).ThenBy(c => c.Id, StringComparer.Ordinal).Select(c => c.Id).ToList();
        }
    }

    /// <summary>POST/DELETE /api/tags/{id}/relationships/campaigns; every campaign must exist or nothing changes.</summary>
    public void SetTagOnCampaigns(string tagId, IReadOnlyList<string> campaignIds, bool add)
    {
        lock (_gate)
        {
            if (!_tags.ContainsKey(tagId))
            {
                throw KlaviyoApiException.NotFound($"Tag {tagId} does not exist.");
            }
            var missing = campaignIds.FirstOrDefault(id => !_campaigns.ContainsKey(id));
            if (missing is not null)
            {
                throw KlaviyoApiException.InvalidBody("/data", $"Campaign {missing} does not exist.");
            }
            foreach (var id in campaignIds)
            {
                if (add)
                {
                    _campaigns[id].TagIds.Add(tagId);
                }
                else
                {
                    _campaigns[id].TagIds.Remove(tagId);
                }
            }
        }
    }

    // ---------------- helpers ----------------

    internal static string NewId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(13))[..26].ToUpperInvariant().Replace('I', 'J').Replace('O', 'P');

    internal static string DefaultHtml(string title) =>
        $"<html><body><h1>{System.Net.WebUtility.HtmlEncode(title)}</h1><p>Hello {{{{ first_name|default:'there' }}}},</p><p>New arrivals are here.</p></body></html>";

    private void MutateCampaign(string campaignId, Action<SandboxCampaign> change)
    {
        lock (_gate)
        {
            var c = RequireCampaignLocked(campaignId);
            change(c);
            c.UpdatedAt = Now;
        }
    }

    private SandboxCampaign RequireCampaignLocked(string id) =>
        _campaigns.TryGetValue(id, out var c) ? c : throw new KeyNotFoundException($"Campaign {id} does not exist in the sandbox.");

    private SandboxCampaign RequireCampaignOr404Locked(string id) =>
        _campaigns.TryGetValue(id, out var c) ? Advance(c) : throw KlaviyoApiException.NotFound($"Campaign {id} does not exist.");

    private (SandboxCampaign Campaign, SandboxMessage Message)? FindMessageLocked(string messageId)
    {
        foreach (var c in _campaigns.Values)
        {
            var m = c.Messages.FirstOrDefault(x => x.Id == messageId);
            if (m is not null)
            {
                return (Advance(c), m);
            }
        }
        return null;
    }

    private void RequireEditableLocked(SandboxCampaign c, string what)
    {
        if (c.Status != CampaignStatuses.Draft)
        {
            throw KlaviyoApiException.Conflict(
                $"{what} cannot be edited because campaign {c.Id} is {c.Status}. Content can only be changed while the campaign is a Draft; revert its send job first.");
        }
        RequireOutsideLockLocked(c, $"{what} cannot be edited");
    }

    private void RequireOutsideLockLocked(SandboxCampaign c, string what)
    {
        // Only a send job locks a campaign: a Draft's static datetime is planned, not a send time, whatever it is.
        var sendAt = c.Status == CampaignStatuses.Draft ? null : c.SendTime ?? (c.SendMethod == "static" ? c.SendDatetime : null);
        if (sendAt is { } at && at >= Now && at - Now < EditLock)
        {
            throw KlaviyoApiException.Conflict(
                $"{what}: campaign {c.Id} sends at {at:O}, and campaigns are locked within {EditLock.TotalMinutes:0} minutes of their send time.");
        }
    }

    // Scheduled campaigns start sending at their send time and are Sent ten minutes later, so a long demo looks alive.
    private SandboxCampaign Advance(SandboxCampaign c)
    {
        var now = Now;
        if (c.Status == CampaignStatuses.Scheduled && c.SendTime <= now)
        {
            c.Status = CampaignStatuses.Sending;
            c.UpdatedAt = now;
        }
        if (c.Status == CampaignStatuses.Sending && c.SendTime + TimeSpan.FromMinutes(10) <= now)
        {
            c.Status = CampaignStatuses.Sent;
            c.UpdatedAt = now;
            CaptureSendLocked(c);
        }
        return c;
    }

    private SandboxTemplate NewTemplateLocked(string name, string html, bool reusable)
    {
        var now = Now;
        var t = new SandboxTemplate { Id = NewId()[..6], Name = name, Html = html, Reusable = reusable, Created = now, Updated = now };
        while (_templates.ContainsKey(t.Id))
        {
            t = new SandboxTemplate { Id = NewId()[..6], Name = name, Html = html, Reusable = reusable, Created = now, Updated = now };
        }
        _templates[t.Id] = t;
        return t;
    }

    private SandboxTag GetOrAddTagLocked(string name)
    {
        var tag = _tags.Values.FirstOrDefault(t => t.Name == name);
        if (tag is null)
        {
            tag = new SandboxTag(Guid.NewGuid().ToString(), name);
            _tags[tag.Id] = tag;
        }
        return tag;
    }
}
