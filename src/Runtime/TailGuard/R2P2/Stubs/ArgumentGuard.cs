using System;
using System.ComponentModel;

namespace TailGuard.R2P2.Stubs;

/// <summary>Checks a generated client makes before it sends, so a request the server would reject never leaves.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ArgumentGuard
{
    /// <summary>Throws unless <paramref name="value"/> is non-null and at most <paramref name="maxBytes"/> bytes of UTF-8.</summary>
    /// <param name="value">The string argument.</param>
    /// <param name="maxBytes">Its bound.</param>
    /// <param name="parameterName">The parameter, for the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> is longer than its bound.</exception>
    public static void Text(string? value, int maxBytes, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(value, parameterName);
        if (!PayloadWriter.FitsString(value, maxBytes))
        {
            throw new ArgumentException("The string is longer than its bound of " + maxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) + " UTF-8 bytes.", parameterName);
        }
    }

    /// <summary>Throws unless <paramref name="length"/> is between 0 and <paramref name="maxBytes"/>.</summary>
    /// <param name="length">The byte count or destination capacity.</param>
    /// <param name="maxBytes">Its bound.</param>
    /// <param name="parameterName">The parameter, for the exception.</param>
    /// <exception cref="ArgumentOutOfRangeException">The length is negative or beyond its bound.</exception>
    public static void ByteLength(int length, int maxBytes, string parameterName)
    {
        if ((uint)length > (uint)maxBytes)
        {
            throw new ArgumentOutOfRangeException(parameterName, length, "The length must be between 0 and " + maxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes.");
        }
    }
}
