// The vocabulary of the prose domain (a few hundred common English words), also used for the text inside markup.
#include "datasets/corpus_generators.h"

namespace moe::data_detail {

std::span<const Noun> nouns() {
    static constexpr Noun list[] = {
        {"man", "men"}, {"woman", "women"}, {"child", "children"}, {"dog", "dogs"}, {"cat", "cats"},
        {"bird", "birds"}, {"river", "rivers"}, {"mountain", "mountains"}, {"city", "cities"},
        {"village", "villages"}, {"house", "houses"}, {"garden", "gardens"}, {"tree", "trees"}, {"road", "roads"},
        {"ship", "ships"}, {"king", "kings"}, {"queen", "queens"}, {"farmer", "farmers"}, {"teacher", "teachers"},
        {"doctor", "doctors"}, {"student", "students"}, {"soldier", "soldiers"}, {"letter", "letters"},
        {"book", "books"}, {"story", "stories"}, {"song", "songs"}, {"window", "windows"}, {"door", "doors"},
        {"table", "tables"}, {"chair", "chairs"}, {"lamp", "lamps"}, {"storm", "storms"}, {"wind", "winds"},
        {"morning", "mornings"}, {"evening", "evenings"}, {"night", "nights"}, {"market", "markets"},
        {"bridge", "bridges"}, {"forest", "forests"}, {"field", "fields"}, {"island", "islands"},
        {"harbor", "harbors"}, {"castle", "castles"}, {"tower", "towers"}, {"stone", "stones"}, {"fire", "fires"},
        {"horse", "horses"}, {"wolf", "wolves"}, {"fox", "foxes"}, {"bear", "bears"}, {"apple", "apples"},
        {"coin", "coins"}, {"key", "keys"}, {"map", "maps"}, {"clock", "clocks"}, {"mirror", "mirrors"},
        {"painting", "paintings"}, {"voice", "voices"}, {"friend", "friends"}, {"stranger", "strangers"},
        {"neighbor", "neighbors"}, {"sister", "sisters"}, {"brother", "brothers"}, {"mother", "mothers"},
        {"father", "fathers"}, {"captain", "captains"}, {"engineer", "engineers"}, {"artist", "artists"},
        {"musician", "musicians"}, {"merchant", "merchants"}, {"baker", "bakers"}, {"library", "libraries"},
        {"school", "schools"}, {"church", "churches"}, {"station", "stations"}, {"train", "trains"},
        {"boat", "boats"}, {"lake", "lakes"}, {"valley", "valleys"}, {"hill", "hills"}, {"path", "paths"},
        {"wall", "walls"}, {"question", "questions"}, {"answer", "answers"}, {"idea", "ideas"},
        {"dream", "dreams"}, {"plan", "plans"}, {"secret", "secrets"}, {"promise", "promises"}, {"knife", "knives"},
        {"leaf", "leaves"}, {"mouse", "mice"}, {"box", "boxes"}, {"glass", "glasses"}, {"basket", "baskets"},
        {"candle", "candles"}, {"blanket", "blankets"}, {"ladder", "ladders"}, {"shadow", "shadows"},
        {"cloud", "clouds"}, {"star", "stars"}, {"flower", "flowers"}, {"shop", "shops"}, {"street", "streets"},
        {"girl", "girls"}, {"boy", "boys"}, {"guard", "guards"}, {"poet", "poets"}, {"meadow", "meadows"},
        {"office", "offices"}, {"kitchen", "kitchens"}, {"wheel", "wheels"}, {"engine", "engines"},
        {"machine", "machines"}, {"picture", "pictures"}, {"ring", "rings"}, {"hat", "hats"}, {"coat", "coats"},
        {"lantern", "lanterns"}, {"note", "notes"}, {"bell", "bells"}, {"gate", "gates"}, {"fence", "fences"},
    };
    return list;
}

std::span<const char* const> adjectives() {
    static constexpr const char* list[] = {
        "old", "young", "quiet", "bright", "dark", "small", "large", "ancient", "gentle", "brave", "tired",
        "happy", "strange", "cold", "warm", "green", "red", "blue", "golden", "silver", "empty", "busy", "narrow",
        "wide", "distant", "hidden", "famous", "careful", "clever", "lonely", "proud", "silent", "wild", "heavy",
        "broken", "simple", "curious", "patient", "sudden", "early", "late", "bitter", "sweet", "soft", "loud",
        "little", "tall", "short", "long", "white", "black", "grey", "wooden", "open", "closed", "new", "kind",
        "angry", "calm", "fresh", "deep", "thin", "sharp", "pale", "rich", "poor", "strong", "weak", "faithful",
    };
    return list;
}

std::span<const Verb> transitive_verbs() {
    static constexpr Verb list[] = {
        {"saw", "see"}, {"found", "find"}, {"carried", "carry"}, {"opened", "open"}, {"followed", "follow"},
        {"painted", "paint"}, {"built", "build"}, {"watched", "watch"}, {"remembered", "remember"},
        {"visited", "visit"}, {"crossed", "cross"}, {"lost", "lose"}, {"wrote", "write"}, {"read", "read"},
        {"heard", "hear"}, {"helped", "help"}, {"called", "call"}, {"answered", "answer"}, {"closed", "close"},
        {"left", "leave"}, {"kept", "keep"}, {"sold", "sell"}, {"bought", "buy"}, {"brought", "bring"},
        {"climbed", "climb"}, {"cleaned", "clean"}, {"fixed", "fix"}, {"noticed", "notice"}, {"studied", "study"},
        {"chose", "choose"}, {"caught", "catch"}, {"threw", "throw"}, {"held", "hold"}, {"loved", "love"},
        {"missed", "miss"}, {"needed", "need"}, {"pulled", "pull"}, {"pushed", "push"}, {"reached", "reach"},
        {"shared", "share"}, {"touched", "touch"}, {"washed", "wash"}, {"hid", "hide"}, {"met", "meet"},
        {"drew", "draw"}, {"took", "take"}, {"gave", "give"}, {"carved", "carve"}, {"guarded", "guard"},
        {"mended", "mend"}, {"counted", "count"}, {"described", "describe"}, {"forgot", "forget"},
    };
    return list;
}

std::span<const Verb> intransitive_verbs() {
    static constexpr Verb list[] = {
        {"slept", "sleep"}, {"laughed", "laugh"}, {"waited", "wait"}, {"smiled", "smile"}, {"arrived", "arrive"},
        {"vanished", "vanish"}, {"fell", "fall"}, {"rose", "rise"}, {"walked", "walk"}, {"ran", "run"},
        {"sang", "sing"}, {"danced", "dance"}, {"cried", "cry"}, {"stayed", "stay"}, {"returned", "return"},
        {"listened", "listen"}, {"trembled", "tremble"}, {"wandered", "wander"}, {"worked", "work"},
        {"rested", "rest"}, {"shouted", "shout"}, {"whispered", "whisper"}, {"paused", "pause"},
        {"disappeared", "disappear"}, {"hurried", "hurry"},
    };
    return list;
}

std::span<const char* const> adverbs() {
    static constexpr const char* list[] = {
        "quickly", "slowly", "quietly", "suddenly", "carefully", "often", "never", "always", "finally", "soon",
        "gently", "nearly", "together", "again", "yesterday", "later", "early", "alone", "happily", "sadly",
        "bravely", "silently", "at last", "once more", "for a while",
    };
    return list;
}

std::span<const char* const> prepositions() {
    static constexpr const char* list[] = {
        "in", "on", "under", "near", "behind", "beside", "across", "through", "over", "into", "toward", "along",
        "around", "beyond", "with", "before", "after", "inside", "outside", "above", "below", "past",
    };
    return list;
}

std::span<const char* const> names() {
    static constexpr const char* list[] = {
        "Anna", "Thomas", "Maria", "John", "Clara", "Peter", "Elena", "Samuel", "Lucy", "Henry", "Oliver",
        "Grace", "Martin", "Sofia", "David", "Helen", "Paul", "Rose", "Jacob", "Emma", "Victor", "Alice",
        "Daniel", "Nora",
    };
    return list;
}

}  // namespace moe::data_detail
