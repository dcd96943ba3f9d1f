using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Quartz;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.Core.Settings;
using Refly.Core.Triggers;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;
using static Refly.Tests.Integration.Triggers.TagTriggerFixture;

namespace Refly.Tests.Integration.Settings;

/// <summary>Settings saved in the UI override configuration at run time: the tag poll, the Quartz intervals, the personalizer.</summary>
public sealed class RuntimeSettingsTests
{
    private static readonly CancellationToken _none = CancellationToken.None;

    [Fact]
    public async Task SavedTagName_IsWhatTheNextPollLooksUp_AndRemovingItFallsBackToConfiguration()
    {
        await using var host = await CoreTestHost.StartAsync(withSettings: true);
        var campaign = RunScenario.Create(host.Store, CampaignStatuses.Scheduled).Campaign;
        host.Store.AddCampaignTag(campaign.Id, "Spring auto");
        await SyncAsync(host);
        var settings = host.Get<SettingsService>();
        var triggers = host.Get<IOptionsMonitor<TriggerOptions>>();

        // Configuration's tag does not exist in Klaviyo: nothing to do.
        var configured = await PollAsync(host);
        Assert.False(configured.TagFound);
        Assert.Empty(await RunsOfAsync(host, campaign.Id));

        Assert.True((await settings.SaveAsync(host.Get<TriggerSettings>(), new TriggerSettingsInput("  Spring auto  ", "00:00:30"), _none)).Succeeded);
        Assert.Equal("Spring auto", triggers.CurrentValue.TagName);
        Assert.Contains("'Spring auto' are checked every 30 s", triggers.CurrentValue.Summary, StringComparison.Ordinal);

        var saved = await PollAsync(host);
        Assert.True(saved.TagFound);
        Assert.Equal(1, saved.TaggedCampaigns);
        var runId = Assert.Single(saved.StartedRunIds);
        var run = await RunScenario.WaitForStateAsync(host, runId, RunState.Completed);
        Assert.Equal(RunTrigger.Tag, run.Trigger);

        // A refused value changes nothing.
        Assert.False((await settings.SaveAsync(host.Get<TriggerSettings>(), new TriggerSettingsInput(" ", "00:00:30"), _none)).Succeeded);
        Assert.Equal("Spring auto", triggers.CurrentValue.TagName);

        // Still in force after a restart (read back from the database at start).
        await host.RestartAsync();
        Assert.Equal("Spring auto", host.Get<IOptionsMonitor<TriggerOptions>>().CurrentValue.TagName);
        Assert.True((await PollAsync(host)).TagFound);

        await host.Get<SettingsService>().ResetAsync(host.Get<TriggerSettings>(), _none);
        Assert.Equal(TriggerOptions.DefaultTagName, host.Get<IOptionsMonitor<TriggerOptions>>().CurrentValue.TagName);
        Assert.False((await PollAsync(host)).TagFound);
    }

    [Fact]
    public async Task SavedRateLimitShare_PacesTheNextKlaviyoRequestsAndTheEstimate_AndSurvivesARestart()
    {
        await using var host = await CoreTestHost.StartAsync(withSettings: true);
        var settings = host.Get<SettingsService>();
        Assert.Equal(KlaviyoOptions.DefaultRateLimitShare, host.Get<RateLimitSettings>().Current.Value);
        Assert.Equal(RunEstimate.ExpectedContactsPerSecond(0.9), host.Get<ExpectedThroughput>().ContactsPerSecond);

        Assert.False((await settings.SaveAsync(host.Get<RateLimitSettings>(), new RateLimitSettingsInput("5%"), _none)).Succeeded);
        Assert.True((await settings.SaveAsync(host.Get<RateLimitSettings>(), new RateLimitSettingsInput("50%"), _none)).Succeeded);

        // No restart: the pacer of an endpoint takes half of its limit (less the margin), and estimates assume it.
        (await host.Get<KlaviyoRateLimiters>().AcquireAsync(KlaviyoEndpoints.GetTemplate, _none)).Dispose();
        var pacing = host.Get<KlaviyoRateLimiters>().PacingState(KlaviyoEndpoints.GetTemplate.Key)!;
        Assert.Equal(0.5 * 750 * (1 - KlaviyoSharedQuota.Margin), pacing.AllowedPerMinute, 6);
        Assert.Equal(RunEstimate.ExpectedContactsPerSecond(0.5), host.Get<ExpectedThroughput>().ContactsPerSecond);
        var view = host.Get<RateLimitSettings>().Current;
        Assert.True(view.Saved);
        Assert.Equal(0.5, view.Value);

        await host.RestartAsync();
        Assert.Equal(0.5, host.Get<IOptionsMonitor<KlaviyoOptions>>().CurrentValue.RateLimitShare);

        await host.Get<SettingsService>().ResetAsync(host.Get<RateLimitSettings>(), _none);
        Assert.Equal(KlaviyoOptions.DefaultRateLimitShare, host.Get<IOptionsMonitor<KlaviyoOptions>>().CurrentValue.RateLimitShare);
        Assert.False(host.Get<RateLimitSettings>().Current.Saved);
    }

    [Fact]
    public async Task SavedIntervals_RescheduleTheQuartzTriggers_AndRemovingThemRestoresConfiguration()
    {
        await using var host = await CoreTestHost.StartAsync(withSettings: true);
        var scheduler = await host.Get<ISchedulerFactory>().GetScheduler();
        var settings = host.Get<SettingsService>();
        Assert.Equal(TimeSpan.FromHours(1), await RepeatIntervalAsync(scheduler, TagPollJob.TriggerKey));
        Assert.Equal(TimeSpan.FromHours(1), await RepeatIntervalAsync(scheduler, CampaignSyncJob.TriggerKey));

        Assert.True((await settings.SaveAsync(host.Get<TriggerSettings>(), new TriggerSettingsInput(TriggerOptions.DefaultTagName, "45s"), _none)).Succeeded);
        Assert.True((await settings.SaveAsync(host.Get<CampaignSyncSettings>(), new CampaignSyncSettingsInput("2 min"), _none)).Succeeded);
        var savedAt = DateTimeOffset.UtcNow;

        Assert.True(await IntervalBecomesAsync(scheduler, TagPollJob.TriggerKey, TimeSpan.FromSeconds(45)), "tag poll not rescheduled");
        Assert.True(await IntervalBecomesAsync(scheduler, CampaignSyncJob.TriggerKey, TimeSpan.FromMinutes(2)), "campaign sync not rescheduled");
        Assert.Equal(TimeSpan.FromMinutes(2), host.Get<IOptionsMonitor<KlaviyoOptions>>().CurrentValue.SyncInterval);
        // The next poll is one new interval away, not at the end of the old hour.
        var nextPoll = (await scheduler.GetTrigger(TagPollJob.TriggerKey))!.NextFireTimeUtc;
        Assert.InRange(nextPoll!.Value, savedAt, savedAt + TimeSpan.FromSeconds(50));
        Assert.Equal(TagPollJob.Key, (await scheduler.GetTrigger(TagPollJob.TriggerKey))!.JobKey);

        // A refused interval leaves the schedule alone.
        Assert.False((await settings.SaveAsync(host.Get<CampaignSyncSettings>(), new CampaignSyncSettingsInput("5s"), _none)).Succeeded);
        Assert.Equal(TimeSpan.FromMinutes(2), await RepeatIntervalAsync(scheduler, CampaignSyncJob.TriggerKey));

        await settings.ResetAsync(host.Get<TriggerSettings>(), _none);
        await settings.ResetAsync(host.Get<CampaignSyncSettings>(), _none);
        Assert.True(await IntervalBecomesAsync(scheduler, TagPollJob.TriggerKey, TimeSpan.FromHours(1)), "tag poll not back to configuration");
        Assert.True(await IntervalBecomesAsync(scheduler, CampaignSyncJob.TriggerKey, TimeSpan.FromHours(1)), "campaign sync not back to configuration");
    }

    [Fact]
    public async Task PersonalizerSavedInSettings_IsUsedByTheNextRun_WithTheSavedEndpointModelAndKey()
    {
        const string apiKey = "test_llm_key_fake_for_runs_0001";
        await using var llm = await FakeOpenAiEndpoint.StartAsync();
        await using var host = await CoreTestHost.StartAsync(withSettings: true);
        var settings = host.Get<SettingsService>();
        var selector = host.Get<PersonalizerSelector>();
        Assert.IsType<RuleBasedPersonalizer>(selector.Current);

        // LLM without a model (or endpoint) is refused with the reason, and nothing changes.
        var refused = await settings.SaveAsync(host.Get<PersonalizerSettings>(), new PersonalizerSettingsInput("llm", llm.Endpoint, " "), _none);
        Assert.False(refused.Succeeded);
        Assert.Contains(refused.Errors, e => e.Contains("needs a model", StringComparison.Ordinal));
        refused = await settings.SaveAsync(host.Get<PersonalizerSettings>(), new PersonalizerSettingsInput("llm", null, "test-model"), _none);
        Assert.Contains(refused.Errors, e => e.Contains("needs an endpoint", StringComparison.Ordinal));
        Assert.IsType<RuleBasedPersonalizer>(selector.Current);

        Assert.True((await settings.SaveAsync(host.Get<PersonalizerSettings>(), new PersonalizerSettingsInput("llm", llm.Endpoint, "test-model", apiKey), _none)).Succeeded);
        Assert.IsType<LlmPersonalizer>(selector.Current);

        var scenario = RunScenario.Create(host.Store, sizeA: 100);
        var messageId = scenario.Campaign.Messages[0].Id;
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [messageId]);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);

        Assert.NotEmpty(llm.Requests);
        Assert.All(llm.Requests, r =>
        {
            Assert.Equal("test-model", r.Model);
            Assert.Equal($"Bearer {apiKey}", r.Authorization);
        });
        var subject = host.Store.GetProfileProperties(scenario.AudienceIds[0])[PersonalizedMarkup.SubjectProperty(PersonalizedMarkup.MessageKey(messageId))];
        Assert.Equal(FakeOpenAiEndpoint.Subject, subject?.ToString());

        // Back to configuration (rule-based): the next run calls no model.
        await settings.ResetAsync(host.Get<PersonalizerSettings>(), _none);
        Assert.IsType<RuleBasedPersonalizer>(selector.Current);
        var calls = llm.Requests.Count;
        var next = RunScenario.Create(host.Store, sizeA: 100).Campaign;
        var again = await RunScenario.StartAsync(host, next.Id, [next.Messages[0].Id]);
        await RunScenario.WaitForStateAsync(host, again.Id, RunState.Completed);
        Assert.Equal(calls, llm.Requests.Count);
    }

    private static async Task<TimeSpan?> RepeatIntervalAsync(IScheduler scheduler, TriggerKey key) =>
        (await scheduler.GetTrigger(key) as ISimpleTrigger)?.RepeatInterval;

    private static Task<bool> IntervalBecomesAsync(IScheduler scheduler, TriggerKey key, TimeSpan interval) =>
        CoreTestHost.WaitUntilAsync(async () => await RepeatIntervalAsync(scheduler, key) == interval, TimeSpan.FromSeconds(10));

    /// <summary>A stand-in OpenAI-compatible chat completions endpoint on loopback that records each request's model and key.</summary>
    private sealed class FakeOpenAiEndpoint : IAsyncDisposable
    {
        public const string Subject = "Picked for you by the model";

        private readonly WebApplication _app;

        private FakeOpenAiEndpoint(WebApplication app) => _app = app;

        public ConcurrentQueue<(string? Model, string? Authorization)> Requests { get; } = new();

        public string Endpoint => _app.Urls.First() + "/v1";

        public static async Task<FakeOpenAiEndpoint> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var endpoint = new FakeOpenAiEndpoint(app);
            app.MapPost("/v1/chat/completions", async (HttpRequest request) =>
            {
                using var body = await JsonDocument.ParseAsync(request.Body);
                var model = body.RootElement.TryGetProperty("model", out var m) ? m.GetString() : null;
                endpoint.Requests.Enqueue((model, request.Headers.Authorization.ToString()));
                // The personalizer asks for one item per fact group of the prompt, each carrying its group id.
                var prompt = string.Join("\n", body.RootElement.GetProperty("messages").EnumerateArray()
                    .Select(message => message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null));
                var groups = System.Text.RegularExpressions.Regex.Matches(prompt, "\"group\"\\s*:\\s*\"([^\"]+)\"")
                    .Select(match => match.Groups[1].Value).Where(g => g != "string").Distinct().ToList();
                var content = JsonSerializer.Serialize(new
                {
                    items = groups.Select(group => new { subject = Subject, preview_text = "A note just for you.", intro = "Hello there.", group }).ToList(),
                });
                return Results.Json(new
                {
                    id = "chatcmpl-test",
                    @object = "chat.completion",
                    created = 1_700_000_000,
                    model,
                    choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
                    usage = new { prompt_tokens = 10, completion_tokens = 10, total_tokens = 20 },
                });
            });
            await app.StartAsync();
            return endpoint;
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }
}
