using System.Text;

namespace Afterward.Tests;

/// <summary>
/// Randomized input through the public API: whatever the names, groups and attribute values, the agent records
/// something readable and never throws, except <see cref="ArgumentNullException"/> for the null arguments it
/// documents. The seed is in every failure message; re-run with it to reproduce.
/// </summary>
public class PublicApiFuzzTests
{
    private static readonly string[] Specials =
    [
        "", " ", "\t", "\r\n", "\0", "\u0007bell", "a/b/c", "*", "WebTransaction/x", "<script>alert(1)</script>",
        "' OR '1'='1", "../../etc/passwd", "\ud800", "\udfff lone", "😀 emoji", "名前", "\u202Eright-to-left", "%00%FF",
        new string('x', 256), new string('y', 100_000), "{0} {1}", "null",
    ];

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 8).Select(i => i * 7919)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomNamesGroupsAndAttributes_NeverThrow_AndRecordCleanBoundedNames(int seed)
    {
        var random = new Random(seed);
        var (app, _) = TestApps.Create();
        int recorded = 0;
        for (int i = 0; i < 200; i++)
        {
            string? name = Pick(random, allowNull: true);
            string? group = Pick(random, allowNull: true);
            try
            {
                using (Agent.BackgroundTask(app, name, group))
                {
                    Agent.SetTransactionName(Pick(random, allowNull: false)!, Pick(random, allowNull: true));
                    using (Agent.FunctionTrace(Pick(random, allowNull: false)!, Pick(random, allowNull: true)))
                    {
                        Agent.AddCustomAttribute(Pick(random, allowNull: false)!, random.Next(3) switch
                        {
                            0 => Pick(random, allowNull: true),
                            1 => random.NextDouble(),
                            _ => new object(),
                        });
                    }

                    Agent.SetBackgroundTask(random.Next(2) == 0);
                    Agent.NoticeError(new InvalidOperationException(Pick(random, allowNull: false)));
                }

                recorded++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {seed}, iteration {i}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        Assert.Equal(200, recorded);
        MetricsSnapshot snapshot = app.Snapshot();
        foreach (string metric in snapshot.MetricNames)
        {
            Assert.False(metric.Any(char.IsControl), $"seed {seed}: control character in '{Escape(metric)}'");
            Assert.True(metric.Length <= 3 * 256 + 32, $"seed {seed}: metric name of {metric.Length} characters");
        }

        long transactions = (snapshot.Get("WebTransaction")?.CallCount ?? 0) + (snapshot.Get("OtherTransaction/all")?.CallCount ?? 0);
        Assert.Equal(200, transactions);
    }

    [Fact]
    public void DocumentedNullArguments_ThrowArgumentNullException_AtTheCallSite()
    {
        Assert.Throws<ArgumentNullException>(() => Agent.FunctionTrace(null!));
        Assert.Throws<ArgumentNullException>(() => Agent.SetTransactionName(null!));
        Assert.Throws<ArgumentNullException>(() => Agent.AddCustomAttribute(null!, 1));
        Assert.Throws<ArgumentNullException>(() => Agent.NoticeError(null!));
        Assert.Throws<ArgumentNullException>(() => Agent.CallableName(null!));
        Assert.Throws<ArgumentNullException>(() => Agent.WrapBackgroundTask((Action)null!));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\r\n")]
    public void BlankApplicationName_IsAnArgumentError(string name)
    {
        var thrown = Assert.Throws<ArgumentException>(() => Agent.Application(name));
        Assert.Equal("name", thrown.ParamName);
    }

    [Fact]
    public void OutsideAnyTransaction_EveryCallIsANoOpThatSaysSo()
    {
        Assert.Null(Agent.CurrentTransaction);
        Assert.False(Agent.SetTransactionName("x"));
        Assert.False(Agent.SetBackgroundTask());
        Assert.False(Agent.IgnoreTransaction());
        Assert.False(Agent.SuppressApdex());
        Assert.False(Agent.NoticeError(new InvalidOperationException()));
        Assert.False(Agent.AddCustomAttribute("k", "v"));
        using (Agent.FunctionTrace("orphan"))
        {
        }
    }

    private static string? Pick(Random random, bool allowNull)
    {
        switch (random.Next(allowNull ? 4 : 3))
        {
            case 0:
                return Specials[random.Next(Specials.Length)];
            case 1:
                var builder = new StringBuilder();
                int length = random.Next(0, 40);
                for (int i = 0; i < length; i++)
                {
                    builder.Append((char)random.Next(0, 0x3000));
                }

                return builder.ToString();
            case 2:
                return "name" + random.Next(50);
            default:
                return null;
        }
    }

    private static string Escape(string text) => string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString()));
}
