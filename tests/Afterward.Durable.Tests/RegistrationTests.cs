using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Afterward.Durable.Tests;

/// <summary>Programmer errors throw at the call site with a message that says what to do; bad settings fail the start.</summary>
public class RegistrationTests
{
    [Fact]
    public void AddHandler_SameNameTwice_ThrowsNamingIt()
    {
        var services = new ServiceCollection();

        var thrown = Assert.Throws<InvalidOperationException>(() => services.AddDurableTasks(d => d
            .AddHandler<int>("twice", (_, _, _) => Task.CompletedTask)
            .AddHandler<int>("twice", (_, _, _) => Task.CompletedTask)));

        Assert.Contains("'twice' is already registered", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddDurableTasks_CalledTwice_AddsToOneRegistration()
    {
        var services = new ServiceCollection();
        services.AddDurableTasks(d => d.AddHandler<int>("a", (_, _, _) => Task.CompletedTask));

        services.AddDurableTasks(d => d.AddHandler<int>("b", (_, _, _) => Task.CompletedTask));
        var thrown = Assert.Throws<InvalidOperationException>(() => services.AddDurableTasks(d => d.AddHandler<int>("a", (_, _, _) => Task.CompletedTask)));

        Assert.Single(services, s => s.ServiceType == typeof(DurableTasksBuilder));
        Assert.Contains("'a'", thrown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("line\nbreak")]
    public void AddHandler_InvalidName_ArgumentException(string name)
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentException>(() => services.AddDurableTasks(d => d.AddHandler<int>(name, (_, _, _) => Task.CompletedTask)));
        Assert.Throws<ArgumentException>(() => services.AddDurableTasks(d => d.AddHandler<int>(new string('x', 256), (_, _, _) => Task.CompletedTask)));
    }

    [Fact]
    public void AddHandler_NullArguments_ArgumentNullException()
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentNullException>(() => services.AddDurableTasks(d => d.AddHandler<int>("x", null!)));
        Assert.Throws<ArgumentNullException>(() => services.AddDurableTasks(d => d.AddHandler<int>(null!, (_, _, _) => Task.CompletedTask)));
        Assert.Throws<ArgumentNullException>(() => services.AddDurableTasks(null!));
        Assert.Throws<ArgumentException>(() => services.AddDurableTasks(d => d.UseSqlite("Data Source=:memory:")));
    }

    [Fact]
    public async Task EnqueueAsync_UnknownNameOrBadOption_ThrowsAtTheCall()
    {
        await using DurableHost host = await DurableHost.StartAsync(d => d.AddHandler<int>("known", (_, _, _) => Task.CompletedTask));

        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => host.Tasks.EnqueueAsync("unknown", 1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => host.Tasks.EnqueueAsync("known", 1, new EnqueueOptions { MaxAttempts = 0 }));
        await Assert.ThrowsAsync<ArgumentException>(() => host.Tasks.EnqueueAsync("known", "not an int"));

        Assert.Contains("AddRemoteHandler", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_InvalidInConfiguration_StartFailsNamingTheOption()
    {
        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => DurableHost.StartAsync(
            d => d.AddHandler<int>("x", (_, _, _) => Task.CompletedTask),
            configuration: new Dictionary<string, string?> { ["Afterward:DurableTasks:MaxAttempts"] = "0" }));

        Assert.Contains("DurableTasksOptions.MaxAttempts", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_ConfigurationThenCode_CodeWins()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Afterward:DurableTasks:MaxAttempts"] = "3",
            ["Afterward:DurableTasks:LeaseDuration"] = "00:00:05",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddDurableTasks(d =>
        {
            d.AddHandler<int>("x", (_, _, _) => Task.CompletedTask);
            d.Options.LeaseDuration = TimeSpan.FromSeconds(9);
        });

        DurableTasksOptions options = services.BuildServiceProvider().GetRequiredService<DurableTasksOptions>();

        Assert.Equal(3, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(9), options.LeaseDuration);
    }
}
