// The end-to-end tests start worker processes that each want the machine's cores, and the crash and shutdown tests
// time their signals against the worker's progress: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
