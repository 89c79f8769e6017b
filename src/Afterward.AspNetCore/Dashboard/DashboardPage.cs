using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;

namespace Afterward.AspNetCore.Dashboard;

/// <summary>
/// The dashboard's page: a shell that loads the bundled script and style sheet from <c>{pattern}/assets/</c>. The
/// script inserts every value with <c>textContent</c>; the Content-Security-Policy allows only this origin's script,
/// so even a value that slipped into markup could not run.
/// </summary>
internal static class DashboardPage
{
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static string Render(string pattern)
    {
        string root = HtmlEncoder.Default.Encode("/" + pattern.Trim('/'));
        return $$"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Afterward</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{root}}/assets/dashboard.css">
<script defer src="{{root}}/assets/dashboard.js"></script>
</head>
<body data-root="{{root}}">
<noscript>The Afterward dashboard needs JavaScript; its data is also served as JSON under {{root}}/api/.</noscript>
</body>
</html>
""";
    }

    public static IResult Serve(HttpContext context, string page)
    {
        context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "no-store";
        return Results.Content(page, "text/html; charset=utf-8");
    }
}
