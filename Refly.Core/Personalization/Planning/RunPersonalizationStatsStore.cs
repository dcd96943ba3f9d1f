using Microsoft.EntityFrameworkCore;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>Counts by source of one page (contacts times messages), added to the run's stats when the page is confirmed.</summary>
public sealed record PageSourceCounts(long Model, long RuleBased, long Original)
{
    /// <summary>Nothing counted.</summary>
    public static PageSourceCounts None { get; } = new(0, 0, 0);

    /// <summary>Counts the sources of <paramref name="contents"/>.</summary>
    public static PageSourceCounts Of(IEnumerable<PersonalizedContent> contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        long model = 0, ruleBased = 0, original = 0;
        foreach (var content in contents)
        {
            switch (content.Source)
            {
                case ContentSource.Model: model++; break;
                case ContentSource.RuleBased: ruleBased++; break;
                default: original++; break;
            }
        }
        return new PageSourceCounts(model, ruleBased, original);
    }
}

/// <summary>
/// A run's model counters in this process: the totals saved before (a resumed run starts from them) plus what the
/// model part did since this process took the run. Saved with each checkpoint.
/// </summary>
public sealed class RunUsageMeter
{
    private readonly HybridPersonalizer? _model;
    private readonly LlmUsage? _start;
    private readonly RunPersonalizationStats _saved;

    /// <summary>Starts metering <paramref name="personalizer"/> from <paramref name="saved"/> (null for a new run).</summary>
    public RunUsageMeter(RunPersonalizer personalizer, RunPersonalizationStats? saved)
    {
        ArgumentNullException.ThrowIfNull(personalizer);
        Personalizer = personalizer.Name;
        _model = personalizer.Model;
        _start = _model?.ModelStats.Snapshot();
        _saved = saved ?? new RunPersonalizationStats { Personalizer = personalizer.Name };
    }

    /// <summary>The run's personalizer name.</summary>
    public string Personalizer { get; }

    /// <summary>Sets <paramref name="row"/>'s model counters to the run's totals now.</summary>
    public void ApplyTo(RunPersonalizationStats row)
    {
        ArgumentNullException.ThrowIfNull(row);
        row.Personalizer = Personalizer;
        if (_model is null || _start is null)
        {
            return;
        }
        var now = _model.ModelStats.Snapshot();
        row.ModelCalls = _saved.ModelCalls + (now.ModelCalls - _start.ModelCalls);
        row.InputTokens = _saved.InputTokens + (now.InputTokens - _start.InputTokens);
        row.OutputTokens = _saved.OutputTokens + (now.OutputTokens - _start.OutputTokens);
        row.DistinctGroups = _saved.DistinctGroups + (now.DistinctGroups - _start.DistinctGroups);
        row.CacheHits = _saved.CacheHits + (now.CacheHits - _start.CacheHits);
        row.ModelSeconds = _saved.ModelSeconds + _model.Budget.ModelTime.TotalSeconds;
    }
}

/// <summary>Reads and writes <see cref="RunPersonalizationStats"/>.</summary>
public sealed class RunPersonalizationStatsStore(IDbContextFactory<ReflyDbContext> contextFactory)
{
    /// <summary>Records the personalizer a new run uses.</summary>
    public async Task InitAsync(Guid runId, string personalizer, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        db.Set<RunPersonalizationStats>().Add(new RunPersonalizationStats { RunId = runId, Personalizer = personalizer });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The run's stats; null when it has none (a run started before they were recorded).</summary>
    public async Task<RunPersonalizationStats?> GetAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Set<RunPersonalizationStats>().AsNoTracking().FirstOrDefaultAsync(s => s.RunId == runId, cancellationToken);
    }

    /// <summary>The stats of these runs, by run.</summary>
    public async Task<IReadOnlyDictionary<Guid, RunPersonalizationStats>> GetManyAsync(IReadOnlyCollection<Guid> runIds, CancellationToken cancellationToken)
    {
        if (runIds.Count == 0)
        {
            return new Dictionary<Guid, RunPersonalizationStats>();
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var ids = runIds.ToList();
        return await db.Set<RunPersonalizationStats>().AsNoTracking().Where(s => ids.Contains(s.RunId)).ToDictionaryAsync(s => s.RunId, cancellationToken);
    }

    /// <summary>
    /// Adds a confirmed batch's counts by source and sets the model totals, inside the checkpoint's transaction
    /// (<see cref="RunStore.UpdateAsync(Guid, IReadOnlyCollection{RunState}, Action{PersonalizationRun}, Func{ReflyDbContext, CancellationToken, Task}?, CancellationToken)"/>).
    /// </summary>
    public static async Task AddBatchAsync(ReflyDbContext db, Guid runId, PageSourceCounts counts, RunUsageMeter? meter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(counts);
        var set = db.Set<RunPersonalizationStats>();
        var row = await set.FirstOrDefaultAsync(s => s.RunId == runId, cancellationToken);
        if (row is null)
        {
            row = new RunPersonalizationStats { RunId = runId, Personalizer = meter?.Personalizer ?? PersonalizerNames.RuleBased };
            set.Add(row);
        }
        row.ModelContacts += counts.Model;
        row.RuleBasedContacts += counts.RuleBased;
        row.OriginalContacts += counts.Original;
        meter?.ApplyTo(row);
    }
}
