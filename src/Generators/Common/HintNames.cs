using System.Globalization;
using System.Text;

namespace TailGuard.Generators.Common;

/// <summary>
/// Hint names for generated files: a type's metadata name (namespace, containing types joined with '+', generic
/// arity after '`') escaped injectively, so two distinct types can never map to the same file name. A name that would
/// exceed <see cref="MaxLength"/> characters keeps its start and gets a 64-bit hash of the whole name instead of the
/// rest, so EmitCompilerGeneratedFiles can still write it (file names are limited to 255 bytes).
/// </summary>
internal static class HintNames
{
    public const int MaxLength = 160;

    /// <summary>The hint name for <paramref name="metadataName"/> plus a generator-specific <paramref name="suffix"/> (e.g. "R2P2").</summary>
    public static string For(string metadataName, string suffix)
    {
        var builder = new StringBuilder(metadataName.Length + suffix.Length + 8);
        foreach (char c in metadataName)
        {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-')
            {
                builder.Append(c);
            }
            else if (c == '_')
            {
                builder.Append("__");
            }
            else
            {
                // '_' is doubled above, so "_xxxx" can only come from here: the escape stays injective.
                builder.Append('_').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
        }

        string ending = "." + suffix + ".g.cs";
        if (builder.Length + ending.Length > MaxLength)
        {
            // Hashed: distinct long names collide with probability 2^-64; the start keeps the file recognizable, and no escaped
            // identifier contains a dash, so a hashed name never equals an unhashed one.
            string hash = "-" + Fnv1a64(builder.ToString()).ToString("X16", CultureInfo.InvariantCulture);
            builder.Length = MaxLength - ending.Length - hash.Length;
            builder.Append(hash);
        }

        return builder.Append(ending).ToString();
    }

    private static ulong Fnv1a64(string text)
    {
        ulong hash = 14695981039346656037;
        foreach (char c in text)
        {
            hash = unchecked((hash ^ c) * 1099511628211);
        }

        return hash;
    }
}
