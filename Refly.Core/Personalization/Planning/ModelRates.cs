using Microsoft.EntityFrameworkCore;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>Where <see cref="ModelRates"/> come from.</summary>
public enum ModelRatesOrigin
{
    /// <summary>Nothing measured yet: the cautious default (a small box).</summary>
    Default,

    /// <summary>The modal's sample calls, at the concurrency they had.</summary>
    Preview,

    /// <summary>Earlier runs' measured stats.</summary>
    Runs,
}

/// <summary>
/// How fast and how costly the model is, per fact group: measured by earlier runs when there are any, else by the
/// modal's own sample calls, else a cautious default shaped on a small self-hosted box (Ollama-like, ~41 output tokens
/// a second in all, ~100 output tokens a group).
/// </summary>
/// <param name="GroupsPerSecond">Fact groups the model writes a second.</param>
/// <param name="GroupsPerCall">Groups one model call writes.</param>
/// <param name="InputTokensPerCall">Prompt tokens a call.</param>
/// <param name="OutputTokensPerGroup">Completion tokens a group.</param>
/// <param name="IsMeasured">True when measured (by earlier runs or the preview), false for the cautious default.</param>
public sealed record ModelRates(double GroupsPerSecond, double GroupsPerCall, double InputTokensPerCall, double OutputTokensPerGroup, bool IsMeasured)
{
    /// <summary>The cautious default: a small box.</summary>
    public static ModelRates Cautious { get; } = new(0.4, 16, 1_200, 100, false);

    /// <summary>What measured these rates.</summary>
    public ModelRatesOrigin Origin { get; init; } = IsMeasured ? ModelRatesOrigin.Runs : ModelRatesOrigin.Default;

    /// <summary>
    /// Rates from the modal's sample calls: the groups they wrote per second of wall time, with as many calls in flight
    /// as the samples had (no extrapolation beyond what was measured: an endpoint that takes more calls at once is
    /// underestimated, never overestimated, and the run's own measurements correct it); null when the preview made no
    /// model call. Calls and prompt tokens are scaled to a run's <paramref name="groupsPerCall"/>.
    /// </summary>
    public static ModelRates? FromPreview(PreviewModelCalls? preview, int groupsPerCall)
    {
        if (preview is not { Calls: > 0, Groups: > 0 } p || p.Elapsed <= TimeSpan.Zero)
        {
            return null;
        }
        var groupsPerPreviewCall = (double)p.Groups / p.Calls;
        return new ModelRates(
            p.Groups / p.Elapsed.TotalSeconds,
            Math.Max(1, groupsPerCall),
            (double)p.InputTokens / p.Calls * Math.Max(1, groupsPerCall / groupsPerPreviewCall),
            (double)p.OutputTokens / p.Groups,
            true)
        {
            Origin = ModelRatesOrigin.Preview,
        };
    }
}

/// <summary>What the modal's sample generation cost the model: the measurement a first plan goes by.</summary>
/// <param name="Groups">Fact groups (times messages) the model wrote.</param>
/// <param name="Calls">Model calls made.</param>
/// <param name="InputTokens">Prompt tokens of those calls.</param>
/// <param name="OutputTokens">Completion tokens of those calls.</param>
/// <param name="Elapsed">Wall time of the generation (its calls side by side).</param>
public sealed record PreviewModelCalls(long Groups, long Calls, long InputTokens, long OutputTokens, TimeSpan Elapsed);

/// <summary>Reads <see cref="ModelRates"/> from the last runs that called the model.</summary>
public sealed class ModelRatesSource(IDbContextFactory<ReflyDbContext> contextFactory)
{
    private const int RunsConsidered = 5;

    /// <summary>The measured rates of the last <c>5</c> runs that generated copy, else <see cref="ModelRates.Cautious"/>.</summary>
    public async Task<ModelRates> CurrentAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Set<RunPersonalizationStats>().AsNoTracking()
            .Where(s => s.ModelCalls > 0 && s.ModelSeconds > 0 && s.DistinctGroups > s.CacheHits)
            .Join(db.Runs.AsNoTracking(), s => s.RunId, r => r.Id, (s, r) => new { s, r.CreatedAt })
            .ToListAsync(cancellationToken);
        var recent = rows.OrderByDescending(x => x.CreatedAt).Take(RunsConsidered).Select(x => x.s).ToList();
        return From(recent) ?? ModelRates.Cautious;
    }

    /// <summary>Rates from runs' stats; null when none generated anything.</summary>
    public static ModelRates? From(IReadOnlyCollection<RunPersonalizationStats> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var generated = runs.Sum(s => Math.Max(0, s.DistinctGroups - s.CacheHits));
        var seconds = runs.Sum(s => s.ModelSeconds);
        var calls = runs.Sum(s => s.ModelCalls);
        if (generated <= 0 || seconds <= 0 || calls <= 0)
        {
            return null;
        }
        return new ModelRates(
            generated / seconds,
            Math.Max(1, (double)generated / calls),
            (double)runs.Sum(s => s.InputTokens) / calls,
            (double)runs.Sum(s => s.OutputTokens) / generated,
            true);
    }
}
