// The examples of the FastrAPI background-tasks page, in ASP.NET Core with Afterward.
using System.ComponentModel.DataAnnotations;
using Afterward;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddAfterward(options => options.ApdexThreshold = TimeSpan.FromMilliseconds(500));
builder.Services.AddScoped<INotifier, ConsoleNotifier>();
builder.Services.AddSingleton<UserCache>();

// Durable tasks: stored first, run at least once, even across a crash. The SQLite file lives in the content root
// unless ConnectionStrings:AfterwardTasks (or the variable ConnectionStrings__AfterwardTasks) names another; with
// ConnectionStrings:AfterwardPostgres (ConnectionStrings__AfterwardPostgres) every instance shares one PostgreSQL queue.
builder.Services.AddDurableTasks(durable =>
{
    if (builder.Configuration.GetConnectionString("AfterwardPostgres") is { Length: > 0 } postgres)
    {
        durable.UsePostgres(postgres);
    }
    else
    {
        durable.UseSqlite(builder.Configuration.GetConnectionString("AfterwardTasks") ?? "Data Source=afterward-tasks.db");
    }

    durable.AddHandler<WelcomeEmail, WelcomeEmailHandler>("welcome-email");
});
builder.Services.AddProblemDetails();

// A body that cannot be read (malformed JSON, wrong type, no body, wrong content type) is answered with a problem
// that says what was wrong, instead of minimal API's empty 400.
builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
builder.Services.AddExceptionHandler<BadRequestHandler>();

var app = builder.Build();
app.UseAfterward();
app.UseExceptionHandler(); // inside UseAfterward: a client's bad request is recorded as a 400, not as a server error
app.UseStatusCodePages(async context =>
{
    // Empty error responses (415 for a body that is not JSON, 404, 405) get a problem body that says what to do.
    HttpContext http = context.HttpContext;
    string? detail = http.Response.StatusCode == StatusCodes.Status415UnsupportedMediaType
        ? "This endpoint reads a JSON body: send it with Content-Type: application/json."
        : null;
    await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
    {
        HttpContext = http,
        ProblemDetails = { Status = http.Response.StatusCode, Detail = detail },
    });
});
app.MapAfterwardDashboard();

app.MapPost("/send", (string email, BackgroundTasks backgroundTasks) =>
{
    backgroundTasks.AddTask(SendEmail, email, "Welcome to our service!");
    return new { message = "Email will be sent in the background" };
});

app.MapPost("/process/{item_id}", (int item_id, BackgroundTasks backgroundTasks) =>
{
    backgroundTasks.AddTask(ProcessData, item_id, "high");
    return new { status = "accepted", item_id };
});

app.MapPost("/action", (int user_id, string action, BackgroundTasks backgroundTasks) =>
{
    backgroundTasks.AddTask(LogActivity, user_id, action);
    backgroundTasks.AddTask(UpdateAnalyticsAsync, action);
    backgroundTasks.AddTask(async (INotifier notifier, CancellationToken ct) => await notifier.NotifyAsync(user_id, ct));
    return new { status = "success", action };
});

app.MapPost("/register", async (User user, BackgroundTasks backgroundTasks) =>
{
    var problems = new List<ValidationResult>();
    if (!Validator.TryValidateObject(user, new ValidationContext(user), problems, validateAllProperties: true))
    {
        return Results.ValidationProblem(problems
            .SelectMany(p => p.MemberNames.Select(m => (Member: m, p.ErrorMessage)))
            .GroupBy(p => p.Member)
            .ToDictionary(g => g.Key, g => g.Select(p => p.ErrorMessage ?? "invalid").ToArray()));
    }

    // Durable: stored now, sent after the response, retried until it succeeds; poll /tasks/{id} for its state.
    string id = await backgroundTasks.AddDurableTaskAsync("welcome-email", new WelcomeEmail(user.Email, user.Name));
    return Results.Accepted($"/tasks/{id}", new { message = $"User {user.Name} registered successfully", id, status = $"/tasks/{id}" });
});

app.MapGet("/tasks/{id}", async (string id, IDurableTasks tasks) =>
    await tasks.GetAsync(id) is { } task
        ? Results.Ok(new { task.Id, task.Name, state = task.State.ToString().ToLowerInvariant(), task.Attempts, task.EnqueuedAt, task.StartedAt, task.CompletedAt, task.LastError })
        : Results.NotFound(new { error = "No task has that id." }));

app.MapPost("/upload", (string filename, BackgroundTasks backgroundTasks) =>
{
    backgroundTasks.AddTask(ProcessUploadedFileAsync, filename);
    return new { status = "accepted", message = "File uploaded and processing started" };
});

app.MapPost("/users/{user_id}/settings", (int user_id, Dictionary<string, string> settings, BackgroundTasks backgroundTasks) =>
{
    backgroundTasks.AddTask((UserCache cache) => cache.Warm(user_id, settings));
    return new { message = "Settings updated" };
});

app.MapGet("/api/data", (int user_id, BackgroundTasks backgroundTasks) =>
{
    backgroundTasks.AddTask(LogToDatabase, user_id, "/api/data", DateTimeOffset.UtcNow);
    return new { data = new[] { 1, 2, 3, 4, 5 } };
});

app.MapPost("/task", (string? data, BackgroundTasks backgroundTasks) =>
{
    backgroundTasks.AddTask(RiskyOperation, data ?? string.Empty).WithRetry(2, TimeSpan.FromMilliseconds(100));
    return new { status = "accepted" };
});

// A slow report: reclassified as a background task so it stays out of the web response time and Apdex.
app.MapGet("/reports/{id}", async (int id) =>
{
    await Task.Delay(1500);
    return new { report = id, rows = 42 };
}).AsBackgroundTask();

app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (string url in app.Urls)
    {
        Console.WriteLine($"Shop listening on {url}  (dashboard: {url}/afterward)");
    }
});

app.Run();

static void SendEmail(string email, string message) => Console.WriteLine($"Sending email to {email}: {message}");

static async Task ProcessData(int itemId, string priority)
{
    Console.WriteLine($"Processing item {itemId} with priority {priority}");
    await Task.Delay(2000);
    Console.WriteLine($"Finished processing item {itemId}");
}

static void LogActivity(int userId, string action) => Console.WriteLine($"User {userId} performed: {action}");

static Task UpdateAnalyticsAsync(string action)
{
    Console.WriteLine($"Analytics updated for action: {action}");
    return Task.CompletedTask;
}


static async Task ProcessUploadedFileAsync(string filename, CancellationToken cancellationToken)
{
    Console.WriteLine($"Starting to process {filename}");
    await Task.Delay(5000, cancellationToken);
    Console.WriteLine($"Finished processing {filename}");
}

static void LogToDatabase(int userId, string endpoint, DateTimeOffset timestamp) =>
    Console.WriteLine($"Logging: User {userId} accessed {endpoint} at {timestamp:O}");

static void RiskyOperation(string data)
{
    if (string.IsNullOrEmpty(data))
    {
        throw new ArgumentException("Data cannot be empty", nameof(data));
    }

    Console.WriteLine($"Processing: {data}");
}

/// <summary>The welcome email's payload, stored as JSON with the durable task.</summary>
public sealed record WelcomeEmail(string Email, string Name);

/// <summary>Sends the welcome email; created in the task's own DI scope for each attempt.</summary>
internal sealed class WelcomeEmailHandler(ILogger<WelcomeEmailHandler> logger) : IDurableTaskHandler<WelcomeEmail>
{
    public Task HandleAsync(WelcomeEmail email, DurableTaskContext context, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Sending welcome email to {email.Email} ({email.Name}), attempt {context.Attempt}");
        logger.LogInformation("Welcome email for {Email} sent (task {Id})", email.Email, context.Id);
        return Task.CompletedTask;
    }
}

/// <summary>A user to register; validated before anything is scheduled.</summary>
public sealed record User(
    [property: Required, EmailAddress] string Email,
    [property: Required, StringLength(100, MinimumLength = 1)] string Name);

/// <summary>Turns a request the endpoint could not read into a problem response naming the reason.</summary>
internal sealed class BadRequestHandler(IProblemDetailsService problems) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        // The framework's message names the parameter; a JSON error adds where the body went wrong.
        string detail = bad.InnerException is System.Text.Json.JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = bad.StatusCode, Title = "The request could not be read.", Detail = detail },
        });
    }
}

/// <summary>Sends notifications; scoped, so each task list gets its own.</summary>
public interface INotifier
{
    /// <summary>Notifies a user.</summary>
    Task NotifyAsync(int userId, CancellationToken cancellationToken);
}

internal sealed class ConsoleNotifier : INotifier
{
    public Task NotifyAsync(int userId, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Notification sent to user {userId}");
        return Task.CompletedTask;
    }
}

internal sealed class UserCache
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, IReadOnlyDictionary<string, string>> _cache = new();

    public void Warm(int userId, IReadOnlyDictionary<string, string> settings)
    {
        Console.WriteLine($"Warming cache for user {userId}");
        _cache[userId] = settings;
    }
}
