using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// How <see cref="SourceNames"/> reads a member declaration: on its text, not its tokens. <see cref="SourceNames"/>
/// reads every member of the compilation once, on one thread, before the first body is analyzed; walking their tokens
/// built the syntax nodes of every body of the project (and of every generated body, which the analyzers never analyze)
/// and was most of the secret-flow analysis' time (docs/performance.md, "Analyzers and generators: share of build
/// time"). A pass over the characters builds nothing, and allocates nothing: a word is looked up in
/// <see cref="Candidates"/> where it stands in the text, not cut out of it (cutting the words out as strings, and each
/// tree's text out as one, was half of the first look's garbage: docs/performance.md, "Twenty-second integration").
/// </summary>
/// <remarks>
/// Conservative, so the filter stays exact: every identifier-shaped word counts as a mention (in comments and strings
/// too), which only widens what the fixed point reaches. The declaration's own name (a method's, a property's, an
/// event's, a field's variables') is not a mention, as in the token walk: a body that writes it again (a recursive call)
/// mentions it there. Attributes are exact: each '['
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
    /// text cannot be read this way. <paramref name="text"/> holds the text of the declaration's tree from its start.
    /// </summary>
    internal static bool? Collect(SyntaxNode declaration, char[] text, Candidates candidates, HashSet<string> mentions)
    {
        var span = declaration.Span;
        var declaresAttribute = false;
        for (var i = span.Start; i < span.End;)
        {
            var c = text[i];
            if (IsNameStart(c))
            {
                var start = i;
                var hash = Candidates.EmptyHash;
                for (; i < span.End && IsNamePart(text[i]); i++)
                {
                    if (text[i] >= 0x80 && CharUnicodeInfo.GetUnicodeCategory(text[i]) == UnicodeCategory.Format)
                    {
                        return null;
                    }

                    hash = Candidates.Hash(hash, text[i]);
                }

                if (candidates.Find(text, start, i - start, hash) is { } name && !IsOwnName(declaration, start))
                {
                    mentions.Add(name);
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

    // Whether the word at start is a name the declaration declares: the identifier token there is one SourceNames' token
    // walk skips (SourceNames.IsOwnName). A declaration's own names are its children, a field's are its variables'; the
    // token is reached through them, never by descending into a body.
    private static bool IsOwnName(SyntaxNode declaration, int start)
    {
        var child = declaration.ChildThatContainsPosition(start);
        while (child.AsNode() is VariableDeclarationSyntax or VariableDeclaratorSyntax)
        {
            child = child.AsNode()!.ChildThatContainsPosition(start);
        }

        return child.IsToken && child.AsToken() is var token && token.SpanStart == start &&
            token.IsKind(SyntaxKind.IdentifierToken) && SourceNames.IsOwnName(token, declaration);
    }

    /// <summary>
    /// The names worth recording, in an open-addressing table looked up by a word's place in the text, so no word is cut
    /// out of it (<see cref="HashSet{T}"/> of <see cref="string"/> can only be asked with a string).
    /// </summary>
    internal sealed class Candidates
    {
        /// <summary>The hash of no character (FNV-1a's offset basis); <see cref="Hash"/> adds one.</summary>
        internal const int EmptyHash = unchecked((int)2166136261);

        private readonly bool[] _lengths;
        private readonly string?[] _names;
        private readonly int[] _hashes;
        private readonly int _mask;

        internal Candidates(HashSet<string> names)
        {
            var longest = 0;
            foreach (var name in names)
            {
                longest = Math.Max(longest, name.Length);
            }

            _lengths = new bool[longest + 1];
            var size = 4;
            while (size < names.Count * 2)
            {
                size *= 2;
            }

            _names = new string?[size];
            _hashes = new int[size];
            _mask = size - 1;
            foreach (var name in names)
            {
                _lengths[name.Length] = true;
                var hash = EmptyHash;
                foreach (var c in name)
                {
                    hash = Hash(hash, c);
                }

                var slot = hash & _mask;
                while (_names[slot] is not null)
                {
                    slot = (slot + 1) & _mask;
                }

                _names[slot] = name;
                _hashes[slot] = hash;
            }
        }

        /// <summary>FNV-1a, one UTF-16 unit at a time.</summary>
        internal static int Hash(int hash, char c) => unchecked((hash ^ c) * 16777619);

        /// <summary>The candidate spelled by <paramref name="length"/> characters of <paramref name="text"/> from <paramref name="start"/>, whose <see cref="Hash"/> is <paramref name="hash"/>; null when none is.</summary>
        internal string? Find(char[] text, int start, int length, int hash)
        {
            if (length >= _lengths.Length || !_lengths[length])
            {
                return null;
            }

            for (var slot = hash & _mask; _names[slot] is { } name; slot = (slot + 1) & _mask)
            {
                if (_hashes[slot] == hash && name.Length == length && SameText(name, text, start))
                {
                    return name;
                }
            }

            return null;
        }

        private static bool SameText(string name, char[] text, int start)
        {
            for (var k = 0; k < name.Length; k++)
            {
                if (name[k] != text[start + k])
                {
                    return false;
                }
            }

            return true;
        }
    }

    private static bool IsNameStart(char c) => c < 0x80 ? c == '_' || (uint)((c | 0x20) - 'a') <= 'z' - 'a' : char.IsLetter(c);

    private static bool IsNamePart(char c) => c < 0x80
        ? c == '_' || (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9
        : char.IsLetterOrDigit(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.ConnectorPunctuation or
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.LetterNumber or UnicodeCategory.Format;
}
