using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Afterward.AspNetCore.Tests;

/// <summary>
/// The Shop sample run as a child process (<c>dotnet Shop.dll --urls http://127.0.0.1:0</c>) with the environment a
/// test gives it; its output is collected, and it is stopped with a real signal.
/// </summary>
internal sealed partial class ShopProcess : IAsyncDisposable
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _output = [];
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ShopProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_gate)
            {
                return [.. _output];
            }
        }
    }

    public static async Task<ShopProcess> StartAsync(IReadOnlyDictionary<string, string> environment, TimeSpan? timeout = null)
    {
        string directory = typeof(ShopProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ShopDirectory").Value!;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(directory, "Shop.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__AfterwardTasks"] = "Data Source=" + Path.Combine(Path.GetTempPath(), "afterward-shop", Guid.NewGuid().ToString("N"), "tasks.db");
        foreach (KeyValuePair<string, string> variable in environment)
        {
            start.Environment[variable.Key] = variable.Value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var shop = new ShopProcess(process);
        process.OutputDataReceived += (_, e) => shop.Received(e.Data);
        process.ErrorDataReceived += (_, e) => shop.Received(e.Data);
        process.Exited += (_, _) => shop._listening.TrySetException(new InvalidOperationException(
            "Shop exited before listening:\n" + string.Join('\n', shop.Output)));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        shop.BaseAddress = await shop._listening.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        shop.Client = new HttpClient { BaseAddress = shop.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        return shop;
    }

    /// <summary>Sends <paramref name="signal"/> and waits for the exit code.</summary>
    public async Task<int> StopAsync(int signal, TimeSpan timeout)
    {
        if (!_process.HasExited && kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        using var deadline = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(deadline.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Received(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.Add(line);
        }

        if (ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    [GeneratedRegex(@"Shop listening on (http://\S+)")]
    private static partial Regex ListeningLine();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
