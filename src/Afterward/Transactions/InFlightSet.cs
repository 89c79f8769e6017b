namespace Afterward.Transactions;

/// <summary>
/// The running transactions started under one application, listed only once a dashboard asks for them
/// (<see cref="Track"/>): until then a transaction's start and end pay one field read. Once tracking, each running
/// transaction is a node in one of a few linked lists, chosen by the starting thread, so that a start and an end take
/// one uncontended lock each and allocate one small node (no hashing, no shared lock).
/// </summary>
internal sealed class InFlightSet
{
    private readonly Stripe[] _stripes = [.. Enumerable.Range(0, 16).Select(static _ => new Stripe())];
    private volatile bool _tracking;

    public bool IsTracking => _tracking;

    /// <summary>A snapshot of the transactions running now.</summary>
    public IEnumerable<Transaction> Running
    {
        get
        {
            var running = new List<Transaction>();
            foreach (Stripe stripe in _stripes)
            {
                lock (stripe.Gate)
                {
                    for (Node? node = stripe.Head; node is not null; node = node.Next)
                    {
                        running.Add(node.Transaction);
                    }
                }
            }

            return running;
        }
    }

    public void Track() => _tracking = true;

    /// <summary>Lists a starting transaction; <see cref="Remove"/> takes the returned node off again.</summary>
    public Node Add(Transaction transaction)
    {
        Stripe stripe = _stripes[(uint)Environment.CurrentManagedThreadId % (uint)_stripes.Length];
        var node = new Node(transaction, stripe);
        lock (stripe.Gate)
        {
            node.Next = stripe.Head;
            if (stripe.Head is not null)
            {
                stripe.Head.Previous = node;
            }

            stripe.Head = node;
        }

        return node;
    }

    public static void Remove(Node node)
    {
        Stripe stripe = node.Stripe;
        lock (stripe.Gate)
        {
            if (node.Removed)
            {
                return;
            }

            node.Removed = true;
            if (node.Previous is null)
            {
                stripe.Head = node.Next;
            }
            else
            {
                node.Previous.Next = node.Next;
            }

            if (node.Next is not null)
            {
                node.Next.Previous = node.Previous;
            }
        }
    }

    internal sealed class Stripe
    {
        public readonly Lock Gate = new();
        public Node? Head;
    }

    internal sealed class Node(Transaction transaction, Stripe stripe)
    {
        public Transaction Transaction { get; } = transaction;

        public Stripe Stripe { get; } = stripe;

        public Node? Previous;
        public Node? Next;
        public bool Removed;
    }
}
