using System.ComponentModel;
using System.Text;

namespace TailGuard.R2P2.Stubs;

/// <summary>
/// The method id a generated service gives a method without an explicit <see cref="R2P2MethodAttribute"/> id:
/// FNV-1a 32 of the method name's UTF-8 bytes, folded to 16 bits by XOR-ing its halves. The generator computes the
/// same value at compile time; this copy lets tools and tests derive ids without it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class MethodId
{
    /// <summary>The hashed id of a method name.</summary>
    /// <param name="methodName">The method name as declared (case-sensitive).</param>
    /// <returns>The 16-bit id.</returns>
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
