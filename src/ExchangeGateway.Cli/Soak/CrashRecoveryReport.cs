using System.Globalization;
using System.Text;

namespace ExchangeGateway.Cli.Soak;

/// <summary>The figures and the violations of one durability run. Every list names what broke a
/// promise; a run passes when they are all empty.</summary>
internal sealed class CrashRecoveryReport
{
    /// <summary>SIGKILL-and-restart cycles done.</summary>
    public int Cycles { get; set; }

    /// <summary>Announcements sent (distinct request_ids).</summary>
    public int Attempted { get; set; }

    /// <summary>Announcements answered OK, including those confirmed only on the re-send after the run.</summary>
    public int Ok { get; set; }

    /// <summary>Announcements whose every call failed during the run but whose re-send returned OK.</summary>
    public int ConfirmedOnResend { get; set; }

    /// <summary>Announcements that failed during the run and on the re-send.</summary>
    public int FailedForGood { get; set; }

    /// <summary>Why calls failed for good during the run (informational: they were sent again).</summary>
    public List<string> FailuresDuringRun { get; } = [];

    /// <summary>Arrivals that ListArrivals returns to COA.</summary>
    public int ArrivalsStored { get; set; }

    /// <summary>OK announcements with no arrival (or another arrival id than the answer named).</summary>
    public List<string> Lost { get; } = [];

    /// <summary>Announcements (one case reference, one request_id) stored as more than one arrival.</summary>
    public List<string> StoredTwice { get; } = [];

    /// <summary>Announcements that never got OK but exist as an arrival.</summary>
    public List<string> StoredDespiteError { get; } = [];

    /// <summary>Arrivals no announcement of the run explains.</summary>
    public List<string> UnknownArrivals { get; } = [];

    /// <summary>OK announcements whose notice never reached a recipient feed.</summary>
    public List<string> Undelivered { get; } = [];

    /// <summary>Notices that reached a feed under more than one notice_id (the same change twice).</summary>
    public List<string> SeveralNoticeIds { get; } = [];

    /// <summary>Feeds with gaps, notices left unacknowledged, or sequences under several ids.</summary>
    public List<string> FeedProblems { get; } = [];

    /// <summary>Notices handed out with redelivery_count &gt; 0.</summary>
    public long RedeliveredNotices { get; set; }

    /// <summary>Redelivered duplicates the subscribers filtered by notice_id.</summary>
    public long DuplicatesFiltered { get; set; }

    /// <summary>Every redelivery the subscribers saw.</summary>
    public long Redeliveries => RedeliveredNotices + DuplicatesFiltered;

    /// <summary>Notices handed out over all feeds.</summary>
    public long NoticesHandedOut { get; set; }

    /// <summary>Feed streams opened by the subscribers, first connections included.</summary>
    public int SubscriberConnections { get; set; }

    public bool Passed => Lost.Count == 0 && StoredTwice.Count == 0 && StoredDespiteError.Count == 0 && UnknownArrivals.Count == 0
        && Undelivered.Count == 0 && SeveralNoticeIds.Count == 0 && FeedProblems.Count == 0 && Ok == ArrivalsStored;

    /// <summary>The figures, one per line, and the first violations of each kind.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
        Line($"cycles: {N(Cycles)}");
        Line($"announcements sent: {N(Attempted)}");
        Line($"announcements OK: {N(Ok)} (confirmed only on re-send: {N(ConfirmedOnResend)}; failed for good: {N(FailedForGood)})");
        Line($"arrivals stored: {N(ArrivalsStored)}");
        Line($"lost: {N(Lost.Count)}");
        Line($"arrivals stored twice: {N(StoredTwice.Count)}");
        Line($"stored despite error: {N(StoredDespiteError.Count)}");
        Line($"unknown arrivals: {N(UnknownArrivals.Count)}");
        Line($"undelivered: {N(Undelivered.Count)}");
        Line($"delivered under several notice ids: {N(SeveralNoticeIds.Count)}");
        Line($"feed problems: {N(FeedProblems.Count)}");
        Line($"notices handed out: {N(NoticesHandedOut)}; subscriber connections: {N(SubscriberConnections)}");
        Line($"redeliveries: {N(Redeliveries)} (redelivery_count > 0: {N(RedeliveredNotices)}, duplicates filtered: {N(DuplicatesFiltered)})");
        foreach (var (name, list) in new[]
        {
            ("lost", Lost), ("stored twice", StoredTwice), ("stored despite error", StoredDespiteError), ("unknown arrival", UnknownArrivals),
            ("undelivered", Undelivered), ("several notice ids", SeveralNoticeIds), ("feed problem", FeedProblems),
            ("failed during the run", FailuresDuringRun),
        })
        {
            foreach (var item in list.Take(10))
            {
                Line($"  {name}: {item}");
            }
            if (list.Count > 10)
            {
                Line($"  {name}: ... and {N(list.Count - 10)} more");
            }
        }
        return text.ToString();
    }
}
