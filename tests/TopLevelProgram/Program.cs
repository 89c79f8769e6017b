string greeting = args.Length > 0 ? args[0] : "Welcome";
Action<string> lambda = email => SendEmail(email, greeting);
lambda("user@example.com");

static void SendEmail(string email, string message) => Console.WriteLine($"Sending email to {email}: {message}");

/// <summary>Lets tests find this assembly.</summary>
public sealed class TopLevelProgramMarker;
