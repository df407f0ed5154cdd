using System.Text;

namespace TailGuard.Generators.R2P2;

/// <summary>
/// The id of a method without an explicit one: FNV-1a 32 of its name's UTF-8 bytes, folded to 16 bits by XOR-ing the
/// halves (docs/wire-format.md). The runtime's TailGuard.R2P2.Stubs.MethodId is the same function; a test holds them equal.
/// </summary>
internal static class MethodIdHash
{
    public static ushort FromName(string methodName)
    {
        const uint OffsetBasis = 2166136261;
        const uint Prime = 16777619;
        uint hash = OffsetBasis;
        foreach (byte b in Encoding.UTF8.GetBytes(methodName))
        {
            hash = unchecked((hash ^ b) * Prime);
        }

        return (ushort)((hash >> 16) ^ (hash & 0xFFFF));
    }
}
