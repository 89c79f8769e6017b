namespace Afterward.Export;

/// <summary>
/// Sits under the OTLP exporter's HttpClient to learn why an export failed (status code, refused connection,
/// time-out), which the exporter itself only reports as a failure.
/// </summary>
internal sealed class ExportHttpHandler(ExportHealth health, TimeSpan timeout) : DelegatingHandler(new SocketsHttpHandler
{
    ConnectTimeout = timeout,
    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
})
{
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return Observe(base.Send(request, cancellationToken));
        }
        catch (Exception ex)
        {
            health.Reason(Describe(ex));
            throw;
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return Observe(await base.SendAsync(request, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            health.Reason(Describe(ex));
            throw;
        }
    }

    private HttpResponseMessage Observe(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            health.Reason($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd());
        }
        else if (response.Headers.TryGetValues("grpc-status", out IEnumerable<string>? values) && values.FirstOrDefault() is { } grpc && grpc != "0")
        {
            health.Reason("gRPC status " + grpc);
        }

        return response;
    }

    private string Describe(Exception exception) => exception switch
    {
        OperationCanceledException => $"no answer within {timeout.TotalSeconds:0.#} s",
        HttpRequestException { InnerException: { } inner } http => http.Message + " (" + inner.Message + ")",
        _ => exception.Message,
    };

    /// <summary>An HttpClient for the exporter, with the export time-out.</summary>
    public static HttpClient CreateClient(ExportHealth health, TimeSpan timeout) =>
        new(new ExportHttpHandler(health, timeout), disposeHandler: true) { Timeout = timeout };
}
