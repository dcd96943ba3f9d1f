using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Refly.Core.Campaigns;
using Refly.Core.Impact;
using Refly.Core.Impact.Holdouts;
using Refly.Core.Impact.Reporting;
using Refly.Core.Personalization;

namespace Refly.Tests.Components;

/// <summary>
/// A bUnit context set up for MudBlazor components (bUnit 2): Mud services and loose JS interop. MudBlazor registers
/// services that are only asynchronously disposable, so xUnit disposes the context through <see cref="IAsyncLifetime"/>.
/// </summary>
public abstract class MudTestContext : BunitContext, IAsyncLifetime
{
    protected MudTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    /// <summary>What the results section and the lift column use (campaign and run pages, the campaigns table), from the host.</summary>
    protected void AddImpactServices(Support.CoreTestHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        Services.AddSingleton(host.Get<CampaignImpactService>());
        Services.AddSingleton(host.Get<CampaignReportQueue>());
        Services.AddSingleton(host.Get<CampaignReportTrigger>());
        Services.AddSingleton(host.Get<HoldoutRefreshTrigger>());
        Services.AddSingleton(host.Get<ReportingBudget>());
    }

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    /// <summary>A synced campaign as the table shows it.</summary>
    public static Campaign CampaignIn(CampaignStatus status, int messages = 1, DateTimeOffset? sendTime = null, string id = "C1") => new()
    {
        KlaviyoId = id,
        Name = $"Campaign {id}",
        RawStatus = status.ToString().ToLowerInvariant(),
        Status = status,
        SendTime = sendTime,
        Messages = Enumerable.Range(1, messages)
            .Select(i => new CampaignMessage { KlaviyoId = $"{id}-M{i}", Label = messages > 1 ? $"Variation {(char)('A' + i - 1)}" : "Email", Subject = $"Subject {i}" })
            .ToList(),
    };

    /// <summary>A run in <paramref name="state"/> with some progress.</summary>
    public static RunView RunIn(RunState state, string campaignId = "C1", string? error = null) => new(
        Guid.NewGuid(), campaignId, state, RunTrigger.Manual, "a marketer", [$"{campaignId}-M1"],
        Total: 1_000, Processed: 400, Written: 350, Failed: 0, FellBack: 0,
        CreatedAt: DateTimeOffset.UtcNow.AddMinutes(-2), StartedAt: DateTimeOffset.UtcNow.AddMinutes(-2), FinishedAt: null,
        Error: error, StopReason: null, Coverage: null, ContactsPerSecond: 10, Eta: DateTimeOffset.UtcNow.AddMinutes(1), FinishesBeforeSendTime: true);
}
