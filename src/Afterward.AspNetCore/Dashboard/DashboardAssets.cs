using System.Collections.Frozen;
using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace Afterward.AspNetCore.Dashboard;

/// <summary>
/// The dashboard's script and style sheet: bundled from npm packages (uPlot) by esbuild at build time and embedded
/// in this assembly, so the page works offline and needs no node at runtime.
/// </summary>
internal static class DashboardAssets
{
    private static readonly FrozenDictionary<string, (byte[] Content, string ContentType, string ETag)> Files = Load();

    public static IResult Serve(HttpContext context, string file)
    {
        if (!Files.TryGetValue(file, out var asset))
        {
            return Results.NotFound();
        }

        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch == asset.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, (byte[], string, string)> Load()
    {
        Assembly assembly = typeof(DashboardAssets).Assembly;
        var files = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach ((string name, string type) in (ReadOnlySpan<(string, string)>)[("dashboard.js", "text/javascript; charset=utf-8"), ("dashboard.css", "text/css; charset=utf-8")])
        {
            using Stream? stream = assembly.GetManifestResourceStream("Afterward.Dashboard." + name);
            if (stream is null)
            {
                continue;
            }

            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            byte[] content = buffer.ToArray();
            string etag = "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))[..16] + "\"";
            files[name] = (content, type, etag);
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
