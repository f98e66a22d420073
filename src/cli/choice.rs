//! Command-line arguments that name one of the engine's choices (a dataset,
//! an activation, an optimiser, ...). The enums live in the engine, which
//! does not depend on clap, so the CLI cannot derive `ValueEnum` for them;
//! this parser gives clap their names from `strum` instead, so `--help`
//! lists them, and reads a value with the engine's own `FromStr` (any case,
//! aliases such as `spiral`, and its error listing the names).

use std::ffi::OsStr;
use std::marker::PhantomData;
use std::str::FromStr;

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use strum::VariantNames;

/// A clap value parser for the engine enum `E`.
pub fn choice<E>() -> Choice<E> {
    Choice(PhantomData)
}

/// See [`choice`].
#[derive(Clone, Copy)]
pub struct Choice<E>(PhantomData<fn() -> E>);

impl<E> TypedValueParser for Choice<E>
where
    E: VariantNames + FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    type Value = E;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<E, clap::Error> {
        StringValueParser::new()
            .try_map(|text| text.parse::<E>())
            .parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(E::VARIANTS.iter().map(PossibleValue::new)))
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::cli::Cli;
    use valley_engine::optim::OptimizerKind;

    #[test]
    fn help_lists_the_names_and_parsing_keeps_the_engine_rules() {
        let command = Cli::command();
        let train = command.find_subcommand("train").expect("train");
        let optimizer = train
            .get_arguments()
            .find(|arg| arg.get_id() == "optimizer")
            .expect("--optimizer");
        let listed: Vec<String> = optimizer
            .get_possible_values()
            .iter()
            .map(|value| value.get_name().to_owned())
            .collect();
        assert_eq!(listed, OptimizerKind::VARIANTS);

        let parse = |text: &str| {
            Cli::try_parse_from(["valley", "train", "--dataset", "moons", "--optimizer", text])
                .map(|cli| format!("{cli:?}"))
                .map_err(|error| error.to_string())
        };
        assert!(parse("RMSProp").expect("any case").contains("RmsProp"));
        let error = parse("lbfgs").expect_err("not an optimiser");
        assert!(
            error.contains("unknown optimizer 'lbfgs': use one of sgd, momentum"),
            "{error}"
        );
    }
}
