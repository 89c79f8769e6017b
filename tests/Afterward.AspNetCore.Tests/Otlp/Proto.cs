using Google.Protobuf;

namespace Afterward.AspNetCore.Tests.Otlp;

/// <summary>
/// A protobuf message read field by field with Google.Protobuf's wire reader, without generated classes: enough to
/// walk the OTLP request messages by field number (opentelemetry/proto, v1).
/// </summary>
internal sealed class Proto
{
    private readonly List<(int Field, object Value)> _fields = [];

    public static Proto Parse(ReadOnlySpan<byte> bytes) => Parse(bytes.ToArray());

    public static Proto Parse(byte[] bytes)
    {
        var message = new Proto();
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            object value = WireFormat.GetTagWireType(tag) switch
            {
                WireFormat.WireType.Varint => input.ReadUInt64(),
                WireFormat.WireType.Fixed64 => input.ReadFixed64(),
                WireFormat.WireType.Fixed32 => input.ReadFixed32(),
                WireFormat.WireType.LengthDelimited => input.ReadBytes().ToByteArray(),
                var other => throw new InvalidDataException($"Unexpected wire type {other} for field {field}."),
            };
            message._fields.Add((field, value));
        }

        return message;
    }

    public IEnumerable<Proto> Messages(int field) =>
        _fields.Where(f => f.Field == field).Select(f => Parse((byte[])f.Value));

    public Proto? Message(int field) => Messages(field).FirstOrDefault();

    public byte[]? Bytes(int field) => _fields.Where(f => f.Field == field).Select(f => (byte[])f.Value).FirstOrDefault();

    public string? String(int field) => Bytes(field) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null;

    public string Hex(int field) => Bytes(field) is { Length: > 0 } bytes ? Convert.ToHexStringLower(bytes) : "";

    public ulong? Varint(int field) => _fields.Where(f => f.Field == field && f.Value is ulong).Select(f => (ulong?)f.Value).FirstOrDefault();

    public ulong? Fixed64(int field) => Varint(field);

    public double? Double(int field) => Fixed64(field) is { } bits ? BitConverter.UInt64BitsToDouble(bits) : null;

    /// <summary>OTLP <c>KeyValue</c> list (key = 1, AnyValue = 2: string 1, bool 2, int 3, double 4).</summary>
    public Dictionary<string, object?> Attributes(int field)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (Proto pair in Messages(field))
        {
            Proto? any = pair.Message(2);
            object? value = any switch
            {
                null => null,
                _ when any.Bytes(1) is not null => any.String(1),
                _ when any.Varint(2) is { } b => b != 0,
                _ when any.Varint(3) is { } i => (long)i,
                _ when any.Double(4) is { } d => d,
                _ => null,
            };
            attributes[pair.String(1)!] = value;
        }

        return attributes;
    }
}
