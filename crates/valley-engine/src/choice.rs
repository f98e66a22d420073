//! How the names of Valley's choices (optimisers, activations,
//! initialisations, datasets, surfaces) are read back. Each enum gets its
//! names, list and `Display` from `strum` derives; this is the one reading
//! rule they share, with the error a user sees on the command line.

use strum::{IntoEnumIterator, VariantNames};

/// The variant named `text`, ignoring surrounding spaces and case; the
/// error names `what` was asked for and lists every name.
pub(crate) fn parse_choice<E>(text: &str, what: &str) -> Result<E, String>
where
    E: IntoEnumIterator + VariantNames + Into<&'static str> + Copy,
{
    let wanted = text.trim();
    E::iter()
        .find(|&choice| {
            let name: &'static str = choice.into();
            name.eq_ignore_ascii_case(wanted)
        })
        .ok_or_else(|| {
            format!(
                "unknown {what} '{text}': use one of {}",
                E::VARIANTS.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use strum::IntoEnumIterator;

    use crate::data::DatasetKind;
    use crate::nn::{Activation, Init};
    use crate::optim::OptimizerKind;
    use crate::surface::SurfaceKind;

    /// Files name a choice through serde, the command line and titles
    /// through strum: both must spell every variant the same.
    fn same_names_in_files_and_on_the_command_line<E>()
    where
        E: IntoEnumIterator + Serialize + std::fmt::Display + std::str::FromStr + PartialEq,
    {
        for choice in E::iter() {
            let in_files = serde_json::to_string(&choice).expect("a unit variant serialises");
            assert_eq!(in_files, format!("\"{choice}\""));
            assert!(choice.to_string().parse::<E>().ok() == Some(choice));
        }
    }

    #[test]
    fn every_choice_has_one_name() {
        same_names_in_files_and_on_the_command_line::<OptimizerKind>();
        same_names_in_files_and_on_the_command_line::<Activation>();
        same_names_in_files_and_on_the_command_line::<Init>();
        same_names_in_files_and_on_the_command_line::<DatasetKind>();
        same_names_in_files_and_on_the_command_line::<SurfaceKind>();
    }
}
