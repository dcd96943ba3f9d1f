using System.Globalization;

namespace Refly.ModelSandbox;

/// <summary>
/// The stand-in as its own process, for the benchmark and for trying the product against a slow model:
/// <c>dotnet run --project Refly.ModelSandbox -- --profile h100 --port 8000 [--time-scale 10] [--model id] [--api-key k] [--seed n]</c>.
/// Prints <c>listening &lt;endpoint&gt;</c> on one line once it serves, and runs until stdin closes or Ctrl+C.
/// </summary>
internal static class ModelSandboxProgram
{
    public static async Task<int> Main(string[] args)
    {
        ModelSandboxOptions options;
        try
        {
            options = Parse(args);
            options.Validate();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            await Console.Error.WriteLineAsync("usage: Refly.ModelSandbox [--profile h100|a100|small] [--port N] [--time-scale X] [--model ID] [--api-key KEY] [--seed N]");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        await using var server = await ModelSandboxServer.StartAsync(options, stop.Token);
        var p = server.Profile;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"profile {p.Name}: {p.MaxSequences} sequences, queue {p.QueueCapacity}, {p.AggregateOutputTokensPerSecond} output tokens/s, time scale {server.TimeScale}"));
        Console.WriteLine($"listening {server.Endpoint}");

        // A parent process ends the stand-in by closing its stdin; a terminal by Ctrl+C.
        var stdinClosed = Task.Run(() =>
        {
            while (Console.In.ReadLine() is not null)
            {
            }
        });
        await Task.WhenAny(stdinClosed, Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default));
        return 0;
    }

    internal static ModelSandboxOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ModelSandboxOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--profile":
                    options.Profile = ModelProfile.ByName(value).Name;
                    break;
                case "--port":
                    options.Port = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--time-scale":
                    options.TimeScale = double.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--model":
                    options.ModelId = value;
                    break;
                case "--api-key":
                    options.ApiKey = value;
                    break;
                case "--seed":
                    options.Seed = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}.");
            }
            i++;
        }
        return options;
    }
}
