using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// How <see cref="SourceNames"/> reads a member declaration: on its text, not its tokens. <see cref="SourceNames"/>
/// reads every member of the compilation once, on one thread, before the first body is analyzed; walking their tokens
/// built the syntax nodes of every body of the project (and of every generated body, which the analyzers never analyze)
/// and was most of the secret-flow analysis' time (docs/performance.md, "Analyzers and generators: share of build
/// time"). A pass over the characters builds nothing.
/// </summary>
/// <remarks>
/// Conservative, so the filter stays exact: every identifier-shaped word counts as a mention (in comments and strings
/// too, and the declaration's own name), which only widens what the fixed point reaches. Attributes are exact: each '['
/// is looked up in the tree, and only an attribute list that is not the declaration's own (nor its accessors' or
/// parameters') counts as an attribute declared inside, as in the token walk. A declaration
/// whose text holds a Unicode escape or a formatting character (a name spelled differently from its value) is not read
/// here: <see cref="Collect"/> answers null and the caller walks its tokens.
/// </remarks>
internal static class DeclarationText
{
    /// <summary>
    /// Adds to <paramref name="mentions"/> every name of <paramref name="candidates"/> the text of
    /// <paramref name="declaration"/> holds, and answers whether it may declare an attribute inside itself; null when the
    /// text cannot be read this way.
    /// </summary>
    internal static bool? Collect(SyntaxNode declaration, string text, Candidates candidates, HashSet<string> mentions)
    {
        var span = declaration.Span;
        var declaresAttribute = false;
        for (var i = span.Start; i < span.End;)
        {
            var c = text[i];
            if (IsNameStart(c))
            {
                var start = i;
                for (; i < span.End && IsNamePart(text[i]); i++)
                {
                    if (text[i] >= 0x80 && CharUnicodeInfo.GetUnicodeCategory(text[i]) == UnicodeCategory.Format)
                    {
                        return null;
                    }
                }

                // A word is cut out of the text only when a candidate has its length.
                if (candidates.HasLength(i - start) && text.Substring(start, i - start) is var word && candidates.Names.Contains(word))
                {
                    mentions.Add(word);
                }

                continue;
            }

            if (c == '\\' && i + 1 < span.End && text[i + 1] is 'u' or 'U')
            {
                return null;
            }

            // The tree says what a '[' opens (an attribute list, the declaration's own or one inside it, an index, an
            // array type, a collection, or text in a string or comment): a lookup down one path, only until the first
            // attribute inside is found.
            if (c == '[' && !declaresAttribute && declaration.FindToken(i) is var token && token.SpanStart == i &&
                SourceNames.OpensAttributeInside(token, declaration))
            {
                declaresAttribute = true;
            }

            i++;
        }

        return declaresAttribute;
    }

    /// <summary>The names worth recording, and which lengths they have.</summary>
    internal sealed class Candidates
    {
        private readonly bool[] _lengths;

        internal Candidates(HashSet<string> names)
        {
            Names = names;
            var longest = 0;
            foreach (var name in names)
            {
                longest = Math.Max(longest, name.Length);
            }

            _lengths = new bool[longest + 1];
            foreach (var name in names)
            {
                _lengths[name.Length] = true;
            }
        }

        internal HashSet<string> Names { get; }

        internal bool HasLength(int length) => length < _lengths.Length && _lengths[length];
    }

    private static bool IsNameStart(char c) => c < 0x80 ? c == '_' || (uint)((c | 0x20) - 'a') <= 'z' - 'a' : char.IsLetter(c);

    private static bool IsNamePart(char c) => c < 0x80
        ? c == '_' || (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9
        : char.IsLetterOrDigit(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.ConnectorPunctuation or
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.LetterNumber or UnicodeCategory.Format;
}
