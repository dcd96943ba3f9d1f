namespace Refly.ModelSandbox;

/// <summary>
/// Fault and bad-output switches, each a rate 0..1 drawn per request from the server's seeded dice; they change at run
/// time (tests flip them between calls). At most one bad-output kind applies to one answer, checked in declaration order.
/// </summary>
public sealed class ModelFaults
{
    private double _serverErrorRate;
    private double _stallRate;
    private double _malformedJsonRate;
    private double _schemaViolationRate;
    private double _overlongRate;
    private double _templateSyntaxRate;
    private double _htmlRate;
    private double _linkRate;
    private double _inventedPercentageRate;

    /// <summary>Requests answered 500 with an OpenAI error body, before they take a sequence.</summary>
    public double ServerErrorRate { get => Volatile.Read(ref _serverErrorRate); set => Volatile.Write(ref _serverErrorRate, Check(value)); }

    /// <summary>
    /// Requests that take a sequence and then hang for <see cref="StallDuration"/> (simulated time) before answering
    /// 504, or until the client gives up: what a client sees as a timeout.
    /// </summary>
    public double StallRate { get => Volatile.Read(ref _stallRate); set => Volatile.Write(ref _stallRate, Check(value)); }

    /// <summary>How long a stalled request hangs, in simulated time.</summary>
    public TimeSpan StallDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Answers whose content is cut off mid-JSON.</summary>
    public double MalformedJsonRate { get => Volatile.Read(ref _malformedJsonRate); set => Volatile.Write(ref _malformedJsonRate, Check(value)); }

    /// <summary>Answers that are valid JSON but break the schema (a required property missing, a number for a string).</summary>
    public double SchemaViolationRate { get => Volatile.Read(ref _schemaViolationRate); set => Volatile.Write(ref _schemaViolationRate, Check(value)); }

    /// <summary>Answers whose copy is far longer than asked (at least 500 characters and three times the normal copy).</summary>
    public double OverlongRate { get => Volatile.Read(ref _overlongRate); set => Volatile.Write(ref _overlongRate, Check(value)); }

    /// <summary>Answers whose copy holds Klaviyo template syntax (<c>{{ person.email }}</c>, <c>{% if %}</c>).</summary>
    public double TemplateSyntaxRate { get => Volatile.Read(ref _templateSyntaxRate); set => Volatile.Write(ref _templateSyntaxRate, Check(value)); }

    /// <summary>Answers whose copy holds HTML tags.</summary>
    public double HtmlRate { get => Volatile.Read(ref _htmlRate); set => Volatile.Write(ref _htmlRate, Check(value)); }

    /// <summary>Answers whose copy holds a link that is nowhere in the prompt.</summary>
    public double LinkRate { get => Volatile.Read(ref _linkRate); set => Volatile.Write(ref _linkRate, Check(value)); }

    /// <summary>Answers whose copy promises a percentage that is nowhere in the prompt (an invented discount).</summary>
    public double InventedPercentageRate { get => Volatile.Read(ref _inventedPercentageRate); set => Volatile.Write(ref _inventedPercentageRate, Check(value)); }

    /// <summary>The link <see cref="LinkRate"/> puts in the copy.</summary>
    public const string InventedLink = "https://deals.example.net/claim";

    /// <summary>The percentage <see cref="InventedPercentageRate"/> puts in the copy (never in a seed prompt).</summary>
    public const string InventedPercentage = "73% off";

    /// <summary>Turns every switch off.</summary>
    public void Reset()
    {
        ServerErrorRate = StallRate = MalformedJsonRate = SchemaViolationRate = OverlongRate = 0;
        TemplateSyntaxRate = HtmlRate = LinkRate = InventedPercentageRate = 0;
    }

    internal BadOutput DrawBadOutput(Func<double> dice)
    {
        if (Hit(MalformedJsonRate, dice)) return BadOutput.MalformedJson;
        if (Hit(SchemaViolationRate, dice)) return BadOutput.SchemaViolation;
        if (Hit(OverlongRate, dice)) return BadOutput.Overlong;
        if (Hit(TemplateSyntaxRate, dice)) return BadOutput.TemplateSyntax;
        if (Hit(HtmlRate, dice)) return BadOutput.Html;
        if (Hit(LinkRate, dice)) return BadOutput.Link;
        if (Hit(InventedPercentageRate, dice)) return BadOutput.InventedPercentage;
        return BadOutput.None;
    }

    internal static bool Hit(double rate, Func<double> dice) => rate > 0 && (rate >= 1 || dice() < rate);

    private static double Check(double value) =>
        value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A rate is within 0..1.");
}

/// <summary>The kinds of bad output the stand-in can write.</summary>
public enum BadOutput
{
    None,
    MalformedJson,
    SchemaViolation,
    Overlong,
    TemplateSyntax,
    Html,
    Link,
    InventedPercentage,
}
