namespace ProRL.Tasks.Logic;

/// <summary>Short common English words for the word puzzles (lower case, a–z only).</summary>
internal static class WordBank
{
    public static readonly IReadOnlyList<string> Short =
    [
        "cat", "dog", "sun", "map", "cup", "hat", "pen", "box", "egg", "fox", "bee", "owl", "ant", "bus", "car",
        "apple", "river", "stone", "cloud", "green", "light", "table", "chair", "bread", "water", "plant", "sheep",
        "tiger", "zebra", "lemon", "grape", "piano", "train", "house", "mouse", "horse", "moon", "star", "tree",
        "fish", "bird", "book", "door", "rain", "snow", "wind", "fire", "lake", "hill", "road",
    ];

    public static readonly IReadOnlyList<string> Long =
    [
        "banana", "balloon", "coffee", "letter", "mississippi", "bookkeeper", "committee", "strawberry", "engineer",
        "parallel", "assessment", "butterfly", "occurrence", "tomorrow", "necessary", "pepper", "excellent",
        "referee", "volleyball", "raspberry", "cinnamon", "successful", "accommodate", "programming", "yellow",
    ];
}
