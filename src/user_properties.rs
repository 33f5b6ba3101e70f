//! Properties a model file defines (`[[properties]]`, README "Your own properties"): a
//! condition written in the Common Expression Language (CEL, the language of Kubernetes'
//! validation rules, through the `cel` crate) over the state's view (`level::view`), with a
//! kind (`always` or `sometimes`), a name and a meaning, checked like the level's own.
//!
//! An expression is compiled when the file is loaded, checked for fields the view has
//! nowhere (`view::FIELDS`), and tried on the model's initial state: a syntax error, an
//! unknown field, an error on the initial state or a value that is not true or false is
//! an error at its place in the file. An expression that
//! fails only on a state reached later (an index past the end of a list, say) leaves its
//! property undecided; the run reports the failure and ends with the bad-input exit code.

use crate::error::{Error, Position};
use crate::level::{Condition, Kind, Level, Property, PropertyInfo, StateView};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// One property a model file defines.
#[derive(Clone)]
pub struct UserProperty {
    pub info: PropertyInfo,
    /// The CEL expression, as written.
    pub expression: String,
    /// The file says its expression gives the same answer when identically configured
    /// members swap names (`symmetric = true`), so symmetry reduction may stay on.
    pub symmetric: bool,
    /// Where the expression is written, for errors found while checking.
    pub file: PathBuf,
    pub at: Position,
    program: Arc<cel::Program>,
    /// The first failure of the expression on a state, if any.
    failure: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for UserProperty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserProperty")
            .field("info", &self.info)
            .field("expression", &self.expression)
            .field("symmetric", &self.symmetric)
            .finish_non_exhaustive()
    }
}

/// CEL's standard environment, built once.
fn environment() -> Arc<cel::Env> {
    static ENV: OnceLock<Arc<cel::Env>> = OnceLock::new();
    Arc::clone(ENV.get_or_init(|| Arc::new(cel::Env::stdlib())))
}

/// A name or meaning that lives as long as the program: property names are `&'static
/// str` throughout (`PropertyInfo`). Each distinct text is kept once.
pub fn intern(text: &str) -> &'static str {
    static KEPT: OnceLock<Mutex<std::collections::BTreeSet<&'static str>>> = OnceLock::new();
    let mut kept = KEPT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(&t) = kept.get(text) {
        return t;
    }
    let t: &'static str = Box::leak(text.to_string().into_boxed_str());
    kept.insert(t);
    t
}

/// An expression that failed: where in the expression (1-based line and column, when
/// CEL says) and why.
pub struct ExpressionError {
    pub at: Option<(usize, usize)>,
    pub reason: String,
}

impl UserProperty {
    /// Compiles `expression` for a property of `kind` named `name`. `file` and `at` (where
    /// the expression is written) are kept for errors found later.
    pub fn compile(
        name: &str,
        kind: Kind,
        meaning: &str,
        expression: &str,
        symmetric: bool,
        file: PathBuf,
        at: Position,
    ) -> Result<UserProperty, ExpressionError> {
        let program = environment().compile(expression).map_err(|errors| {
            let first = errors.errors.first();
            ExpressionError {
                at: first
                    .map(|e| e.pos)
                    .filter(|&(line, column)| line > 0 && column > 0)
                    .map(|(line, column)| (line as usize, column as usize)),
                reason: first.map_or_else(
                    || "not a CEL expression".to_string(),
                    |e| format!("not a CEL expression: {}", e.msg),
                ),
            }
        })?;
        if let Some((field, offset)) = unknown_field(program.expression(), &program) {
            return Err(ExpressionError {
                at: offset.map(|o| line_and_column(expression, o)),
                reason: format!(
                    "the state has no field {field:?} (its fields: {})",
                    crate::level::view::FIELDS.join(", ")
                ),
            });
        }
        Ok(UserProperty {
            info: PropertyInfo {
                name: intern(name),
                kind,
                meaning: intern(meaning),
            },
            expression: expression.to_string(),
            symmetric,
            file,
            at,
            program: Arc::new(program),
            failure: Arc::default(),
        })
    }

    /// The expression's value on `view`, or why it has none.
    pub fn evaluate(&self, view: &StateView) -> Result<bool, String> {
        let mut context = cel::Context::with_env(environment());
        let members = cel::to_value(&view.members).map_err(|e| e.to_string())?;
        let acknowledged = cel::to_value(&view.acknowledged).map_err(|e| e.to_string())?;
        context.add_variable_from_value("members", members);
        context.add_variable_from_value("acknowledged", acknowledged);
        match self.program.execute(&context) {
            Ok(cel::Value::Bool(b)) => Ok(b),
            Ok(other) => Err(format!(
                "the expression gives {}, not true or false",
                describe(&other)
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Whether the property holds in `view`. A failure is kept (the first one) and counts
    /// as neither a violation nor a witness.
    fn holds(&self, view: &StateView) -> bool {
        match self.evaluate(view) {
            Ok(b) => b,
            Err(reason) => {
                let mut failure = self.failure.lock().unwrap_or_else(|p| p.into_inner());
                failure.get_or_insert(reason);
                self.info.kind == Kind::Always
            }
        }
    }

    /// The property as level `M` checks it.
    pub fn property<M: Level>(&self) -> Property<M> {
        let user = self.clone();
        Property {
            info: self.info,
            condition: Condition::User(Arc::new(move |model: &M, state: &M::State| {
                user.holds(&model.view(state))
            })),
            explain: no_explanation::<M>,
        }
    }

    /// The first failure of the expression during a run, as an error at the expression.
    pub fn failure(&self) -> Option<Error> {
        let failure = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        failure.as_ref().map(|reason| {
            Error::model_at(
                &self.file,
                self.at,
                format!(
                    "property {}: the expression failed on a reachable state, so the property is undecided: {reason}",
                    self.info.name
                ),
            )
        })
    }
}

/// The first field the expression selects (`x.field`, `has(x.field)`) that the state's
/// view has nowhere, with where it is written (a character offset in the expression),
/// if CEL says.
fn unknown_field(expr: &cel::IdedExpr, program: &cel::Program) -> Option<(String, Option<usize>)> {
    use cel::common::ast::{EntryExpr, Expr};
    let here = |id: u64| {
        program
            .source_info()
            .offset_for(id)
            .map(|(start, _)| start as usize)
    };
    let children: Vec<&cel::IdedExpr> = match &expr.expr {
        Expr::Select(select) => {
            if !crate::level::view::FIELDS.contains(&select.field.as_str()) {
                return Some((select.field.clone(), here(expr.id)));
            }
            vec![&select.operand]
        }
        Expr::Call(call) => call.target.iter().map(|t| &**t).chain(&call.args).collect(),
        Expr::Comprehension(c) => vec![
            &c.iter_range,
            &c.accu_init,
            &c.loop_cond,
            &c.loop_step,
            &c.result,
        ],
        Expr::List(list) => list.elements.iter().collect(),
        Expr::Map(cel::common::ast::MapExpr { entries })
        | Expr::Struct(cel::common::ast::StructExpr { entries, .. }) => entries
            .iter()
            .flat_map(|e| match &e.expr {
                EntryExpr::MapEntry(entry) => vec![&entry.key, &entry.value],
                EntryExpr::StructField(field) => vec![&field.value],
            })
            .collect(),
        Expr::Unspecified | Expr::Ident(_) | Expr::Literal(_) => Vec::new(),
    };
    children
        .into_iter()
        .find_map(|child| unknown_field(child, program))
}

/// 1-based line and column (in characters) of a character offset in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before: String = text.chars().take(offset).collect();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn no_explanation<M: Level>(_: &M, _: &M::State) -> Option<String> {
    None
}

/// A CEL value's kind, for an error message.
fn describe(value: &cel::Value) -> String {
    match value {
        cel::Value::List(_) => "a list".into(),
        cel::Value::Map(_) => "a map".into(),
        cel::Value::Int(i) => format!("the number {i}"),
        cel::Value::UInt(u) => format!("the number {u}"),
        cel::Value::Float(x) => format!("the number {x}"),
        cel::Value::String(s) => format!("the string {:?}", s.as_str()),
        cel::Value::Null => "null".into(),
        other => format!("{other:?}"),
    }
}
