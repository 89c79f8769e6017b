using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Afterward.Tests;

public class AgentOptionsTests
{
    public static TheoryData<Action<AfterwardOptions>, string> InvalidOptions => new()
    {
        { o => o.ApdexThreshold = TimeSpan.Zero, "ApdexThreshold" },
        { o => o.ApdexThreshold = TimeSpan.FromHours(2), "ApdexThreshold" },
        { o => o.MaxTransactionDuration = TimeSpan.FromSeconds(-1), "MaxTransactionDuration" },
        { o => o.MaxTransactionNames = 0, "MaxTransactionNames" },
        { o => o.HarvestInterval = TimeSpan.FromMilliseconds(1), "HarvestInterval" },
        { o => o.AppName = "  ", "AppName" },
        { o => o.TimeProvider = null!, "TimeProvider" },
        { o => o.BackgroundTasks.MaxConcurrency = 0, "BackgroundTasks.MaxConcurrency" },
        { o => o.BackgroundTasks.QueueCapacity = -5, "BackgroundTasks.QueueCapacity" },
        { o => o.Otlp.Endpoint = new Uri("relative", UriKind.Relative), "Otlp.Endpoint" },
        { o => o.Otlp.Endpoint = new Uri("ftp://collector"), "Otlp.Endpoint" },
        { o => o.Otlp.Protocol = (OtlpProtocol)7, "Otlp.Protocol" },
        { o => o.Otlp.ExportInterval = TimeSpan.FromMilliseconds(10), "Otlp.ExportInterval" },
        { o => o.Otlp.Timeout = TimeSpan.FromHours(1), "Otlp.Timeout" },
        { o => o.Otlp.MaxQueueSize = 0, "Otlp.MaxQueueSize" },
        { o => o.Otlp.Headers["bad name"] = "x", "Otlp.Headers" },
        { o => o.Otlp.Headers["api-key"] = "line\nbreak", "Otlp.Headers" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Validate_InvalidOption_NamesTheOptionAndRange(Action<AfterwardOptions> configure, string option)
    {
        var options = new AfterwardOptions();
        configure(options);

        var thrown = Assert.ThrowsAny<ArgumentException>(options.Validate);

        Assert.Contains("AfterwardOptions." + option + " ", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new AfterwardOptions();

        Assert.Equal(TimeSpan.FromMilliseconds(500), options.ApdexThreshold);
        Assert.Equal(TimeSpan.FromMinutes(20), options.MaxTransactionDuration);
        Assert.Equal(1000, options.MaxTransactionNames);
        Assert.Equal(TimeSpan.FromSeconds(60), options.HarvestInterval);
        Assert.Same(TimeProvider.System, options.TimeProvider);
        Assert.True(options.BackgroundTasks.MaxConcurrency >= 8);
        Assert.Equal(TimeSpan.FromSeconds(30), options.BackgroundTasks.LongTaskWarning);
        options.Validate();
    }

    [Fact]
    public void Initialize_InvalidOptions_ThrowsAtCallSite()
    {
        Assert.Throws<ArgumentException>(() => Agent.Initialize(o => o.ApdexThreshold = TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Initialize_TwiceWithSameName_ReturnsSameApplication()
    {
        string name = "init-" + Guid.NewGuid().ToString("N");

        Application first = Agent.Initialize(o => o.AppName = name);
        Application second = Agent.Initialize(o => o.AppName = name);

        Assert.Same(first, second);
        Assert.Same(first, Agent.Application(name));
        Assert.Same(first, Agent.RegisterApplication(name, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Application_EmptyName_Throws()
    {
        Assert.Throws<ArgumentException>(() => Agent.Application(" "));
        Assert.Throws<ArgumentOutOfRangeException>(() => Agent.RegisterApplication("x", TimeSpan.FromSeconds(-2)));
    }

    [Theory]
    [InlineData(null, "OTEL_SERVICE_NAME", "svc")]
    [InlineData(null, "AFTERWARD_APP_NAME", "aft")]
    [InlineData("configured", "OTEL_SERVICE_NAME", "configured")]
    public void AppName_FallsBackToTheStandardServiceNameVariable(string? configured, string variable, string expected)
    {
        string suffix = Guid.NewGuid().ToString("N");
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Afterward:AppName"] = configured is null ? null : configured + suffix,
            [variable] = (configured is null ? expected : "ignored") + suffix,
        });
        builder.Services.AddAfterward();
        using IHost host = builder.Build();

        Assert.Equal(expected + suffix, host.Services.GetRequiredService<Application>().Name);
    }

    [Fact]
    public async Task AddAfterward_GenericHost_BindsConfigurationThenDelegateAndReportsUnderAppName()
    {
        string name = "worker-" + Guid.NewGuid().ToString("N");
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Afterward:AppName"] = name,
            ["Afterward:ApdexThreshold"] = "00:00:02",
            ["Afterward:MaxTransactionNames"] = "50",
        });
        builder.Services.AddAfterward(o => o.MaxTransactionNames = 60);
        builder.Services.AddAfterward();
        using IHost host = builder.Build();
        await host.StartAsync();

        var agent = host.Services.GetRequiredService<IAfterwardAgent>();
        using (agent.BackgroundTask("hosted"))
        {
        }

        AfterwardOptions options = host.Services.GetRequiredService<IOptions<AfterwardOptions>>().Value;
        Assert.Equal(name, agent.Application.Name);
        Assert.Equal(TimeSpan.FromSeconds(2), options.ApdexThreshold);
        Assert.Equal(60, options.MaxTransactionNames);
        Assert.Equal(1, Agent.Snapshot(name).Count("OtherTransaction/Function/hosted"));
        Assert.Single(host.Services.GetServices<IHostedService>(), s => s.GetType().Name == "AfterwardHostedService");
        await host.StopAsync();
    }

    [Fact]
    public async Task AddAfterward_InvalidConfiguration_FailsAtStartupNamingTheOption()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddAfterward(o => o.HarvestInterval = TimeSpan.Zero);
        using IHost host = builder.Build();

        var thrown = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("AfterwardOptions.HarvestInterval", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoHosts_EachReportUnderTheirOwnName()
    {
        string[] names = ["a-" + Guid.NewGuid().ToString("N"), "b-" + Guid.NewGuid().ToString("N")];
        var hosts = new List<IHost>();
        foreach (string name in names)
        {
            HostApplicationBuilder builder = Host.CreateApplicationBuilder();
            builder.Services.AddAfterward(o => o.AppName = name);
            IHost host = builder.Build();
            await host.StartAsync();
            hosts.Add(host);
        }

        for (int i = 0; i < hosts.Count; i++)
        {
            using (hosts[i].Services.GetRequiredService<IAfterwardAgent>().BackgroundTask("job"))
            {
            }
        }

        Assert.Equal(1, Agent.Snapshot(names[0]).Count("OtherTransaction/Function/job"));
        Assert.Equal(1, Agent.Snapshot(names[1]).Count("OtherTransaction/Function/job"));
        Assert.Contains(Agent.Applications(), a => a.Name == names[0]);
        foreach (IHost host in hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }
    }
}
