namespace Refly.ModelSandbox;

/// <summary>How a <see cref="ModelSandboxServer"/> starts; the fault switches also change at run time on <see cref="ModelSandboxServer.Faults"/>.</summary>
public sealed class ModelSandboxOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>Name of a built-in profile (<c>h100</c>, <c>a100</c>, <c>small</c>); ignored when <see cref="CustomProfile"/> is set.</summary>
    public string Profile { get; set; } = ModelProfile.H100.Name;

    /// <summary>A profile of the caller's own (tests shape tiny servers with it).</summary>
    public ModelProfile? CustomProfile { get; set; }

    /// <summary>
    /// Simulated seconds per real second: 1 behaves like the real server, 100 runs it 100 times faster (token rates
    /// and times to first token scale; Retry-After is given in real seconds).
    /// </summary>
    public double TimeScale { get; set; } = 1;

    /// <summary>The model id <c>GET /v1/models</c> lists; requests for other ids are answered too, under the id asked for.</summary>
    public string ModelId { get; set; } = ModelSandboxServer.DemoModelId;

    /// <summary>When set, requests must carry <c>Authorization: Bearer</c> with it (401 otherwise); null accepts any key or none.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Seed of the copy writer and the fault dice; a request's own <c>seed</c> overrides it for its copy.</summary>
    public int Seed { get; set; } = 20260715;

    /// <summary>The capacity profile in force.</summary>
    public ModelProfile ResolveProfile() => CustomProfile ?? ModelProfile.ByName(Profile);

    internal void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be 0..65535.");
        }
        if (!(TimeScale > 0) || double.IsInfinity(TimeScale))
        {
            throw new ArgumentOutOfRangeException(nameof(TimeScale), TimeScale, "Must be positive.");
        }
        if (string.IsNullOrWhiteSpace(ModelId))
        {
            throw new ArgumentException("A model id is required.", nameof(ModelId));
        }
        ResolveProfile().Validate();
    }
}
