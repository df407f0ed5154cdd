using System.Globalization;
using System.Text;

namespace TailGuard.Generators.Common;

/// <summary>
/// Hint names for generated files: a type's metadata name (namespace, containing types joined with '+', generic
/// arity after '`') escaped injectively, so two distinct types can never map to the same file name.
/// </summary>
internal static class HintNames
{
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

        return builder.Append('.').Append(suffix).Append(".g.cs").ToString();
    }
}
