using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Refly.Tests.Integration.Operations;

/// <summary>
/// The published dashboard started as a service would start it: <c>dotnet Refly.Dashboard.dll</c> in its install
/// folder, configured by environment variables only, its output captured. Stopped with SIGTERM, as systemd does.
/// </summary>
internal sealed class PublishedApp : IAsyncDisposable
{
    /// <summary>How the app is told its address: the standard ASP.NET Core ways operators use.</summary>
    public enum ListenVia
    {
        /// <summary>The <c>Urls</c> environment variable (configuration key).</summary>
        UrlsVariable,

        /// <summary><c>ASPNETCORE_URLS=http://127.0.0.1:port</c>, as containers and systemd units set it.</summary>
        AspNetCoreUrls,

        /// <summary><c>ASPNETCORE_HTTP_PORTS=port</c> (listens on every interface).</summary>
        AspNetCoreHttpPorts,

        /// <summary><c>--Urls=http://127.0.0.1:port</c> on the command line.</summary>
        CommandLineUrls,
    }

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private PublishedApp(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The app's process id (the dotnet host runs the app in-process).</summary>
    public int ProcessId => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>Runs <c>dotnet &lt;dll&gt; args</c> in <paramref name="installFolder"/> and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunCommandAsync(string installFolder, IDictionary<string, string> environment, params string[] args)
    {
        using var process = Process.Start(StartInfo(installFolder, environment, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>
    /// Starts the app on a free port, told as <paramref name="listenVia"/> says; unless <paramref name="waitUntilHealthy"/>
    /// is false, returns once <c>/health</c> answers 200 there.
    /// </summary>
    public static async Task<PublishedApp> StartAsync(
        string installFolder, IDictionary<string, string> environment, bool waitUntilHealthy = true, ListenVia listenVia = ListenVia.UrlsVariable)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var url = address.ToString().TrimEnd('/');
        var env = new Dictionary<string, string>(environment);
        string[] args = [];
        switch (listenVia)
        {
            case ListenVia.UrlsVariable:
                env["Urls"] = url;
                break;
            case ListenVia.AspNetCoreUrls:
                env["ASPNETCORE_URLS"] = url;
                break;
            case ListenVia.AspNetCoreHttpPorts:
                env["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                break;
            case ListenVia.CommandLineUrls:
                args = [$"--Urls={url}"];
                break;
        }
        var process = new Process { StartInfo = StartInfo(installFolder, env, args), EnableRaisingEvents = true };
        var app = new PublishedApp(process, address);
        process.OutputDataReceived += (_, e) => app.Append(e.Data);
        process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (waitUntilHealthy)
        {
            await app.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));
        }
        return app;
    }

    /// <summary>SIGTERM, as <c>systemctl stop</c> sends; returns whether the process exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])))
        {
            await kill!.WaitForExitAsync();
        }
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL (<c>kill -9</c>): no shutdown code runs, as in a power cut or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            // Process.Kill sends SIGKILL on Unix; the app is this process itself (the dotnet host runs it in-process).
            _process.Kill();
        }
        await _process.WaitForExitAsync();
    }

    public async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The published app exited with {_process.ExitCode}:\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync(new Uri(Address, "/health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Slow first answer; ask again.
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"The published app did not become healthy within {timeout}:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static ProcessStartInfo StartInfo(string installFolder, IDictionary<string, string> environment, string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = installFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(installFolder, "Refly.Dashboard.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // Nothing from the test runner's environment may configure the app: a service gets only its unit's variables.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) ||
                     k is "DOTNET_ENVIRONMENT" or "DOTNET_URLS" or "Urls" || k.Contains("__", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        return info;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
