using System.Diagnostics;
using System.Reflection;

namespace Afterward.Generators.Tests;

/// <summary>
/// The Worker sample, built by MSBuild with the generator, its props and targets and its path items, run as its
/// README command would: every call form shows in the table it prints on exit.
/// </summary>
public class WorkerSampleTests
{
    [Fact]
    public async Task WorkerSample_RecordsTheFourCallFormsAndTheReclassification_AndPrintsThem()
    {
        string directory = typeof(WorkerSampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WorkerDirectory").Value!;
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(directory, "Worker.dll"));
        start.Environment["WORKER_ROUNDS"] = "3";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(deadline.Token);
        string text = await output;

        Assert.True(process.ExitCode == 0, text + await errors);
        string[] lines = text.Split('\n');
        foreach (string metric in (string[])[
            "OtherTransaction/Task/rebuild-reports",   // attribute, intercepted
            "OtherTransaction/Task/cleanup",           // scope
            "OtherTransaction/Task/import-batch",      // wrapper
            "OtherTransaction/Task/compact-storage",   // path item for a method of the project
            "WebTransaction/Task/admin-command",       // SetBackgroundTask(false)
        ])
        {
            string line = Assert.Single(lines, l => l.StartsWith(metric + " ", StringComparison.Ordinal));
            Assert.Equal("3", line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }

        Assert.Contains(lines, l => l.Contains("Function/render", StringComparison.Ordinal) && l.Contains("rebuild-reports", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Json/Serialize", StringComparison.Ordinal) && l.Contains("rebuild-reports", StringComparison.Ordinal)); // path item, referenced assembly
    }
}
