namespace Refly.KlaviyoSandbox.Store;

/// <summary>Seeds for <see cref="KlaviyoSandboxOptions.Seed"/>.</summary>
public static class SandboxSeeds
{
    public const string PersonalizeTag = "Refly: Personalize";

    /// <summary>An empty account, for tests that build their own scenario.</summary>
    public static void Empty(SandboxStore store)
    {
    }

    /// <summary>A realistic shop: campaigns in every interesting state, CODE templates, lists and segments of many sizes.</summary>
    public static void Demo(SandboxStore store) => Demo(store, 200_000);

    public static Action<SandboxStore> DemoWith(long largeListSize) => store => Demo(store, largeListSize);

    public static void Demo(SandboxStore store, long largeListSize)
    {
        var now = store.TimeProvider.GetUtcNow();
        // Overlapping audiences: VIPs are a slice of newsletter subscribers; the engaged segment straddles both.
        var newsletter = store.AddList("Newsletter subscribers", 4_800);
        var vip = store.AddList("VIP customers", 650, startIndex: newsletter.GeneratedStart + 4_000);
        var engaged = store.AddSegment("Engaged last 90 days", 2_400, startIndex: newsletter.GeneratedStart + 3_000);
        var winback = store.AddSegment("Lapsed 180+ days", 1_300);
        var excluded = store.AddList("Do not email (suppressed)", 300, startIndex: newsletter.GeneratedStart + 4_500);
        var everyone = store.AddList("All customers", largeListSize);
        var bf = store.AddSegment("Black Friday browsers", 900, startIndex: everyone.GeneratedStart + 1_000);

        var markerHtml = Html("Autumn drop", "<!-- refly:intro -->", "Our autumn collection is in: layers, boots and cosy knits.");
        store.AddTemplate("Autumn drop (CODE)", markerHtml);
        store.AddTemplate("Plain newsletter (CODE)", Html("Newsletter", "", "This week's stories from the shop."));

        // Drafts keep their static strategy's planned datetime, ahead (the gift guide) or long past (the lookbook, planned
        // when it was created): Klaviyo sends neither until it is scheduled.
        store.AddCampaign("Holiday gift guide (draft)", CampaignStatuses.Draft, now.AddDays(5),
            [new MessageSeed("Email", "Gifts they'll actually love", "Our 2026 holiday gift guide", markerHtml)],
            [newsletter.Id], [excluded.Id], createdAt: now.AddDays(-3));
        store.AddCampaign("Autumn drop", CampaignStatuses.Scheduled, now.AddHours(6),
            [new MessageSeed("Email", "The autumn drop is here", "Layers, boots and cosy knits", markerHtml)],
            [engaged.Id], [excluded.Id], createdAt: now.AddDays(-2));
        store.AddCampaign("Black Friday early access (A/B)", CampaignStatuses.Scheduled, now.AddDays(1).AddHours(3),
            [
                new MessageSeed("Variation A", "Early access: 30% off everything", "Only for subscribers, 24 hours early", Html("Black Friday", "<!-- refly:intro -->", "Early access starts now.")),
                new MessageSeed("Variation B", "You're in: Black Friday starts now", "Your early-access pass inside", Html("Black Friday", "", "Your pass is inside.")),
            ],
            [everyone.Id, bf.Id], [excluded.Id], [PersonalizeTag], createdAt: now.AddDays(-1));
        store.AddCampaign("Win-back offer (A/B)", CampaignStatuses.Scheduled, now.AddDays(2),
            [
                new MessageSeed("Variation A", "We miss you: 15% off", "Come back for something new", Html("Win-back", "", "It's been a while.")),
                new MessageSeed("Variation B", "Still thinking about it?", "Your favourites are back in stock", Html("Win-back", "", "Your favourites are back.")),
            ],
            [winback.Id], [], createdAt: now.AddDays(-1));
        store.AddCampaign("VIP preview night", CampaignStatuses.Scheduled, now.AddDays(3).AddHours(2),
            [new MessageSeed("Email", "VIP preview: you're first", "An evening just for you", Html("VIP", "", "Join us before anyone else."))],
            [vip.Id], [excluded.Id], createdAt: now.AddHours(-20));
        store.AddCampaign("Flash sale: 48 hours", CampaignStatuses.Sending, now.AddMinutes(-3),
            [new MessageSeed("Email", "48 hours only", "Flash sale on outerwear", Html("Flash sale", "", "48 hours only."))],
            [newsletter.Id], [], createdAt: now.AddDays(-4));
        store.AddCampaign("October newsletter", CampaignStatuses.Sent, now.AddDays(-20),
            [new MessageSeed("Email", "October at the shop", "Stories, drops and a recipe", Html("October", "", "Here is October."))],
            [newsletter.Id], [excluded.Id], createdAt: now.AddDays(-25));
        store.AddCampaign("Summer clearance", CampaignStatuses.Cancelled, now.AddDays(-60),
            [new MessageSeed("Email", "Summer clearance", "Everything must go", Html("Clearance", "", "Everything must go."))],
            [newsletter.Id], [], createdAt: now.AddDays(-70));
        store.AddCampaign("Spring lookbook (draft)", CampaignStatuses.Draft, now.AddDays(-12),
            [new MessageSeed("Email", "The spring lookbook", "Light layers for longer days", Html("Spring lookbook", "<!-- refly:intro -->", "Light layers for longer days."))],
            [newsletter.Id], [excluded.Id], createdAt: now.AddDays(-14));
        store.AddCampaign("Loyalty tier upgrade (draft)", CampaignStatuses.Draft, null,
            [new MessageSeed("Email", "You've levelled up", "New perks inside", Html("Loyalty", "<!-- refly:intro -->", "Welcome to your new tier."))],
            [vip.Id, engaged.Id], [excluded.Id], createdAt: now.AddHours(-5));
        AddSentAbCampaign(store);
    }

    /// <summary>Name of the demo's sent A/B campaign whose events (and so results) exist from the start.</summary>
    public const string SentAbCampaign = "Spring sale (A/B, sent)";

    /// <summary>
    /// A Sent A/B campaign as a finished Refly run leaves it: every recipient holds the run's refly_ properties, and
    /// variation A looks them up (personalized) while B keeps the original copy (the control). Its events are generated
    /// from this state, so the demo shows results (and a lift) at once.
    /// </summary>
    public static SandboxCampaign AddSentAbCampaign(SandboxStore store, int recipients = 4_000)
    {
        var now = store.TimeProvider.GetUtcNow();
        var shoppers = store.AddList("Spring shoppers", recipients);
        for (var i = 0L; i < recipients; i++)
        {
            store.SetProfileProperties(ProfileGenerator.IdFor(shoppers.GeneratedStart + i), new Dictionary<string, object?>
            {
                ["refly_spring_a_subject"] = "Your spring picks are 20% off",
                ["refly_spring_a_intro"] = "The light layers you looked at are on sale this week.",
            });
        }
        var personalized = Html("Spring sale", "{{ person|lookup:'refly_spring_a_intro'|default:'Spring is here: 20% off new arrivals.' }}", "20% off until Sunday.");
        return store.AddCampaign(SentAbCampaign, CampaignStatuses.Sent, now.AddDays(-3),
            [
                new MessageSeed("Variation A (personalized)", "{{ person|lookup:'refly_spring_a_subject'|default:'Spring sale: 20% off' }}", "New arrivals for longer days", personalized),
                new MessageSeed("Variation B (control)", "Spring sale: 20% off", "New arrivals for longer days", Html("Spring sale", "", "Spring is here: 20% off new arrivals. 20% off until Sunday.")),
            ],
            [shoppers.Id], [], createdAt: now.AddDays(-5));
    }

    private static string Html(string title, string marker, string body) =>
        $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><table role=\"presentation\" width=\"100%\"><tr><td>" +
        $"<h1>{title}</h1>{marker}<p>Hi {{{{ first_name|default:'there' }}}},</p><p>{body}</p>" +
        "<p><a href=\"https://refly-demo.shop\">Shop now</a></p><p>{% unsubscribe %}</p></td></tr></table></body></html>";
}
