using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Personalization;
using Refly.Dashboard.Hosting;

namespace Refly.Tests.Components;

/// <summary>What a campaign's row says once its last run has finished, in each final state.</summary>
public sealed class PersonalizationCellTests : MudTestContext
{
    public PersonalizationCellTests()
    {
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<BrowserTimeZone>();
    }

    private static RunView Finished(RunState state, long? total, long written, TimeSpan took, RunTrigger trigger = RunTrigger.Manual, string? by = "ana@example.com", string? error = null)
    {
        var started = DateTimeOffset.UtcNow.AddHours(-1);
        return MudTestContext.RunIn(state, error: error) with
        {
            Trigger = trigger,
            StartedBy = by,
            Total = total,
            Written = written,
            Processed = written,
            StartedAt = started,
            FinishedAt = started + took,
            Eta = null,
            Coverage = state == RunState.Completed && total is > 0 ? (double)written / total : null,
        };
    }

    private static string Text(IRenderedComponent<PersonalizationCell> cell) =>
        string.Join(' ', cell.Find("[data-testid='personalization-state']").TextContent.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void Completed_SaysCountsDurationAndWhoStartedIt()
    {
        var cell = Render<PersonalizationCell>(p => p.Add(c => c.Run, Finished(RunState.Completed, 198_000, 198_000, TimeSpan.FromMinutes(3))));

        Assert.Equal("Completed · 198,000 of 198,000 · 3 min · by ana@example.com", Text(cell));
        Assert.Equal("Completed", cell.Find("[data-testid='run-headline']").TextContent);
    }

    [Fact]
    public void Cancelled_SaysWhereItStopped()
    {
        var cell = Render<PersonalizationCell>(p => p.Add(c => c.Run, Finished(RunState.Cancelled, 1_000, 430, TimeSpan.FromMinutes(1))));

        Assert.Equal("Cancelled at 43% · started by ana@example.com", Text(cell));
    }

    [Fact]
    public void Failed_KeepsASeparatorBeforeWhoStartedIt_AndTheReasonOnHover()
    {
        var cell = Render<PersonalizationCell>(p => p.Add(c => c.Run, Finished(RunState.Failed, 1_000, 120, TimeSpan.FromMinutes(1), error: "Klaviyo rejected the API key.")));

        Assert.Equal("Failed at 12% · started by ana@example.com", Text(cell));
        Assert.Equal("Klaviyo rejected the API key.", cell.Find("[data-testid='failed-reason']").GetAttribute("title"));
    }

    [Fact]
    public void TagStarted_NamesTheTag()
    {
        var cell = Render<PersonalizationCell>(p => p.Add(c => c.Run,
            Finished(RunState.Completed, 2_000, 2_000, TimeSpan.FromSeconds(40), RunTrigger.Tag, "Refly: Personalize")));

        Assert.Equal("Completed · 2,000 of 2,000 · 40 s · by the tag “Refly: Personalize”", Text(cell));
    }

    [Fact]
    public void InProgress_SaysEstimatingUntilTheEtaSettles()
    {
        var run = MudTestContext.RunIn(RunState.InProgress) with { IsEtaSettled = false };

        var cell = Render<PersonalizationCell>(p => p.Add(c => c.Run, run));

        Assert.Equal(" · ETA estimating…", cell.Find("[data-testid='eta']").TextContent);
    }
}
