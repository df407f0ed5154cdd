namespace TailGuard.Tyche;

/// <summary>How the driver sends a segment of a domain's memory: confidential ones are granted (carved), shared ones aliased.</summary>
public enum SegmentType
{
    /// <summary>Aliased: the host keeps access.</summary>
    Shared = 0,

    /// <summary>Carved and granted: the host loses access.</summary>
    Confidential = 1,

    /// <summary>Aliased, may be mapped again.</summary>
    SharedRepeat = 2,

    /// <summary>Carved, may be mapped again.</summary>
    ConfidentialRepeat = 3,

    /// <summary>A pipe segment.</summary>
    Pipe = 4,

    /// <summary>Shared now, may be made confidential later.</summary>
    Confidentializable = 5,
}
