//! The parsed form of a filter, and the fields it can name.

use crate::schema::col;

/// Numeric track fields (Float32 columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumField {
    Bpm,
    Energy,
    DurationS,
    SpectralCentroid,
    Valence,
    Danceability,
    LoudnessDb,
}

impl NumField {
    pub const ALL: [NumField; 7] = [
        NumField::Bpm,
        NumField::Energy,
        NumField::DurationS,
        NumField::SpectralCentroid,
        NumField::Valence,
        NumField::Danceability,
        NumField::LoudnessDb,
    ];

    /// Column name, which is also the name used in filters.
    pub fn column(self) -> &'static str {
        match self {
            NumField::Bpm => col::BPM,
            NumField::Energy => col::ENERGY,
            NumField::DurationS => col::DURATION_S,
            NumField::SpectralCentroid => col::SPECTRAL_CENTROID,
            NumField::Valence => col::VALENCE,
            NumField::Danceability => col::DANCEABILITY,
            NumField::LoudnessDb => col::LOUDNESS_DB,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Text track fields (Utf8 columns), matched by case-insensitive equality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextField {
    TrackId,
    Title,
    Artist,
    Album,
}

impl TextField {
    pub const ALL: [TextField; 4] = [
        TextField::TrackId,
        TextField::Title,
        TextField::Artist,
        TextField::Album,
    ];

    pub fn column(self) -> &'static str {
        match self {
            TextField::TrackId => col::TRACK_ID,
            TextField::Title => col::TITLE,
            TextField::Artist => col::ARTIST,
            TextField::Album => col::ALBUM,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// A numeric comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// `x op value`, for a non-null, non-NaN `x`.
    pub fn holds(self, x: f32, value: f32) -> bool {
        match self {
            CmpOp::Eq => x == value,
            CmpOp::Ne => x != value,
            CmpOp::Lt => x < value,
            CmpOp::Le => x <= value,
            CmpOp::Gt => x > value,
            CmpOp::Ge => x >= value,
        }
    }
}

/// One test on one field. None of them is true for a row whose field is null.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// `bpm >= 90`
    Compare {
        field: NumField,
        op: CmpOp,
        value: f32,
    },
    /// `bpm BETWEEN 90 AND 120`, both ends included.
    Between {
        field: NumField,
        low: f32,
        high: f32,
    },
    /// `has_vocals = true`; `has_vocals != true` is stored as `HasVocals(false)`, since with
    /// null never matching the two mean the same.
    HasVocals(bool),
    /// `artist:X`, `artist = X` (`equal`), `artist != X` (not `equal`). `value` is lowercased.
    Text {
        field: TextField,
        value: String,
        equal: bool,
    },
    /// `tag:mood:calm`: the track's tags contain this one. Lowercased.
    Tag(String),
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// All of (at least two).
    And(Vec<Expr>),
    /// Any of (at least two).
    Or(Vec<Expr>),
    /// Every row the inner expression does not select, null fields included.
    Not(Box<Expr>),
    Predicate(Predicate),
}

/// What a field name in a filter refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    Num(NumField),
    HasVocals,
    Text(TextField),
    Tag,
}

pub(crate) const HAS_VOCALS: &str = col::HAS_VOCALS;
pub(crate) const TAG: &str = "tag";

impl FieldKind {
    /// The field a (case-insensitive) name refers to.
    pub(crate) fn lookup(name: &str) -> Option<FieldKind> {
        let name = name.to_ascii_lowercase();
        if let Some(f) = NumField::ALL.into_iter().find(|f| f.column() == name) {
            return Some(FieldKind::Num(f));
        }
        if let Some(f) = TextField::ALL.into_iter().find(|f| f.column() == name) {
            return Some(FieldKind::Text(f));
        }
        match name.as_str() {
            HAS_VOCALS => Some(FieldKind::HasVocals),
            TAG => Some(FieldKind::Tag),
            _ => None,
        }
    }

    /// Every field name, for "unknown field" messages.
    pub(crate) fn names() -> String {
        let mut names: Vec<&str> = NumField::ALL.iter().map(|f| f.column()).collect();
        names.push(HAS_VOCALS);
        names.extend(TextField::ALL.iter().map(|f| f.column()));
        names.push(TAG);
        names.join(", ")
    }
}

/// The case-insensitive form in which text values and tags are compared.
pub(crate) fn fold(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) || !s.is_ascii() {
        std::borrow::Cow::Owned(s.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}
