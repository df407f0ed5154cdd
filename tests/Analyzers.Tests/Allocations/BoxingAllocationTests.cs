using System.Threading.Tasks;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.Allocations.HotPathAllocationAnalyzer>;

namespace TailGuard.Analyzers.Tests.Allocations;

public sealed class BoxingAllocationTests
{
    [Fact]
    public Task Conversions_of_value_types_to_object_interfaces_and_Enum_are_TG3005()
    {
        const string source = """
            using System;
            using TailGuard;
            enum E { A }
            class C
            {
                object _o; IComparable _c; Enum _e;
                [HotPath] void M(int x, E e, int? n)
                {
                    _o = {|TG3005:x|};
                    _c = {|TG3005:x|};
                    _e = {|TG3005:e|};
                    _o = {|TG3005:n|};
                    _o = (object)"no box";
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Concatenation_and_handler_interpolation_holes_do_not_box()
    {
        const string source = """
            using TailGuard;
            class C
            {
                string _s;
                [HotPath] void M(int x)
                {
                    _s = {|TG3011:"a" + x|};
                    _s = {|TG3012:$"a{x}"|};
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Inherited_ToString_GetHashCode_and_Equals_on_a_struct_are_TG3006_but_overrides_and_GetType_are_not()
    {
        const string source = """
            using TailGuard;
            struct Plain { public int X; }
            struct Overrides
            {
                public int X;
                public override int GetHashCode() => X;
                public override string ToString() => "o";
                public override bool Equals(object o) => false;
            }
            class C
            {
                int _h; object _o;
                [HotPath] void M(Plain p, Overrides o)
                {
                    _h = {|TG3006:p.GetHashCode()|};
                    _o = {|TG3006:p.ToString()|};
                    _o = p.GetType();
                    _h = {|TG3006:p.Equals({|TG3005:p|})|} ? 1 : 0;
                    _h = o.GetHashCode();
                    _o = o.ToString();
                    _h = 5.GetHashCode();
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Default_interface_member_called_on_a_boxed_struct_is_TG3007_but_members_the_struct_implements_are_not()
    {
        const string source = """
            using System;
            using TailGuard;
            interface IScaled { int Scale(int x) => x * 2; }
            struct S : IComparable<S>, IScaled { public int X; public int CompareTo(S other) => X - other.X; }
            class C
            {
                int _r;
                [HotPath] void M(S a, S b)
                {
                    _r = ({|TG3007:(IScaled)a|}).Scale(3);
                    _r = ((IComparable<S>)a).CompareTo(b);
                    _r = Compare(a, b);
                    _r = a.CompareTo(b);
                }
                static int Compare<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b);
            }
            """;
        return Verifier.VerifyAsync(source);
    }
}
