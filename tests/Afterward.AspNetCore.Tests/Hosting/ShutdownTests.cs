using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Afterward.AspNetCore.Tests;

/// <summary>
/// The Shop sample as a child process, loaded with background tasks and stopped with a real signal: every scheduled
/// task either completes or is reported abandoned by name; none is silently lost; the exit code is 0 within the
/// shutdown timeout, even when a task ignores cancellation.
/// </summary>
public partial class ShutdownTests
{
    [Theory]
    [InlineData(ShopProcess.SIGTERM)]
    [InlineData(ShopProcess.SIGINT)]
    public async Task Signal_WithTimeToSpare_DrainsEveryTaskExitsZero(int signal)
    {
        await using ShopProcess shop = await ShopProcess.StartAsync(Environment(shutdownSeconds: 30, concurrency: 4));
        const int items = 8;
        for (int i = 0; i < items; i++)
        {
            // Each task takes 2 s and ignores cancellation; with 4 workers the drain needs about 4 s.
            Assert.Equal(HttpStatusCode.OK, (await shop.Client.PostAsync($"/process/{i}", null)).StatusCode);
        }

        var clock = Stopwatch.StartNew();
        int exitCode = await shop.StopAsync(signal, TimeSpan.FromSeconds(40));
        TimeSpan took = clock.Elapsed;

        Assert.Equal(0, exitCode);
        IReadOnlyList<string> output = shop.Output;
        for (int i = 0; i < items; i++)
        {
            Assert.Contains($"Finished processing item {i}", output);
        }

        Assert.Empty(Abandoned(output));
        Assert.Contains(output, line => line.Contains("waiting for", StringComparison.Ordinal) && line.Contains("background task(s) to finish", StringComparison.Ordinal));
        Assert.True(took < TimeSpan.FromSeconds(30), $"the drain took {took}, longer than the shutdown timeout");
    }

    [Theory]
    [InlineData(ShopProcess.SIGTERM)]
    [InlineData(ShopProcess.SIGINT)]
    public async Task Signal_DeadlineBeforeTasksFinish_EachCompletedOrAbandonedByName(int signal)
    {
        await using ShopProcess shop = await ShopProcess.StartAsync(Environment(shutdownSeconds: 2, concurrency: 2));
        const int files = 10;
        for (int i = 0; i < files; i++)
        {
            // 5 s each, cancellable: none can finish within the 2 s deadline.
            Assert.Equal(HttpStatusCode.OK, (await shop.Client.PostAsync($"/upload?filename=f{i}.csv", null)).StatusCode);
        }

        Assert.Equal(0, await shop.StopAsync(signal, TimeSpan.FromSeconds(20)));
        IReadOnlyList<string> output = shop.Output;
        int finished = Enumerable.Range(0, files).Count(i => output.Contains($"Finished processing f{i}.csv"));
        List<string> abandoned = Abandoned(output);

        Assert.Equal(files, finished + abandoned.Count);
        Assert.All(abandoned, name => Assert.Equal("Program.ProcessUploadedFileAsync", name));
        Assert.True(abandoned.Count > 0);
    }

    [Fact]
    public async Task Sigterm_TaskIgnoringCancellation_AbandonedByNameProcessExitsZero()
    {
        await using ShopProcess shop = await ShopProcess.StartAsync(Environment(shutdownSeconds: 1, concurrency: 2));
        const int items = 6;
        for (int i = 0; i < items; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await shop.Client.PostAsync($"/process/{i}", null)).StatusCode);
        }

        var clock = Stopwatch.StartNew();
        int exitCode = await shop.StopAsync(ShopProcess.SIGTERM, TimeSpan.FromSeconds(20));
        TimeSpan took = clock.Elapsed;

        Assert.Equal(0, exitCode);
        IReadOnlyList<string> output = shop.Output;
        int finished = Enumerable.Range(0, items).Count(i => output.Contains($"Finished processing item {i}"));
        List<string> abandoned = Abandoned(output);
        Assert.Equal(items, finished + abandoned.Count);
        Assert.All(abandoned, name => Assert.Equal("Program.ProcessData", name));
        // Not held by tasks that ignore their token: the 1 s deadline, a short grace, then exit.
        Assert.True(took < TimeSpan.FromSeconds(6), $"exit took {took}");
    }

    /// <summary>Names listed by the runner's "abandoned" log lines (event 2003), one entry per task.</summary>
    private static List<string> Abandoned(IReadOnlyList<string> output) =>
    [
        .. output.Select(line => AbandonedLine().Match(line))
            .Where(match => match.Success)
            .SelectMany(match => match.Groups["names"].Value.Split(", ", StringSplitOptions.TrimEntries)),
    ];

    private static Dictionary<string, string> Environment(int shutdownSeconds, int concurrency) => new()
    {
        ["DOTNET_shutdownTimeoutSeconds"] = shutdownSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Afterward__BackgroundTasks__MaxConcurrency"] = concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__SingleLine"] = "true",
    };

    [GeneratedRegex(@"\d+ background task\(s\) did not finish before the shutdown deadline and were abandoned: (?<names>.+?)\.?$")]
    private static partial Regex AbandonedLine();
}
