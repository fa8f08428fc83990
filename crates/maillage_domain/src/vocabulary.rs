//! The `vocabulary!` macro: a closed list of values with their exact labels.

/// A closed vocabulary of the national schema: each variant has one exact label.
pub trait Vocabulary: Sized + Copy + 'static {
    /// Name of the schema field that holds these values.
    const FIELD: &'static str;
    /// Every value, in the schema's order.
    const ALL: &'static [Self];
    /// The exact label, as written in the schema.
    fn label(self) -> &'static str;
    /// Parses an exact label (after trimming).
    fn from_label(label: &str) -> Option<Self> {
        let label = label.trim();
        Self::ALL.iter().copied().find(|v| v.label() == label)
    }
}

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident, $field:literal {
            $($variant:ident => $label:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(
                #[doc = $label]
                $variant,
            )+
        }

        impl $crate::vocabulary::Vocabulary for $name {
            const FIELD: &'static str = $field;
            const ALL: &'static [Self] = &[$(Self::$variant,)+];
            fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)+
                }
            }
        }

        impl $name {
            /// The exact label, as written in the schema.
            pub fn label(self) -> &'static str {
                <Self as $crate::vocabulary::Vocabulary>::label(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::vocabulary::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <Self as $crate::vocabulary::Vocabulary>::from_label(s).ok_or_else(|| {
                    $crate::vocabulary::UnknownValue {
                        field: $field,
                        value: s.to_string(),
                    }
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.label())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A label that is not in the vocabulary of its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("valeur inconnue pour « {field} » : « {value} »")]
pub struct UnknownValue {
    pub field: &'static str,
    pub value: String,
}
