namespace Afterward;

/// <summary>The OTLP transport.</summary>
public enum OtlpProtocol
{
    /// <summary>Protobuf over HTTP (port 4318 by convention). The default.</summary>
    HttpProtobuf,

    /// <summary>gRPC (port 4317 by convention).</summary>
    Grpc,
}
