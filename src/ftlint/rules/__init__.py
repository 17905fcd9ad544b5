"""Built-in rules: one module per family, registered in the one tuple below."""

from __future__ import annotations

from ftlint.rules.basemodel import (
    BaseModelTaskMismatch,
    ContextWindowExceeded,
    EvalMetricMismatch,
    MethodChoice,
    NoHeldOutTest,
    TokenizerLanguageFit,
)
from ftlint.rules.configkeys import (
    DeprecatedOrUnknownKey,
    InvalidConfigValue,
    NoPretrainedBase,
)
from ftlint.rules.curves import (
    BestCheckpointNotKept,
    DamagedRunLog,
    Divergence,
    LearningRateSchedule,
    LossScaleArtefact,
    MetricAndLossDisagree,
    Overfitting,
    StoppedWhileImproving,
    TooFewEvaluations,
    Underfitting,
)
from ftlint.rules.duplicates import (
    BenchmarkContamination,
    ExactDuplicates,
    NearDuplicates,
    SplitLeakage,
)
from ftlint.rules.earlystopping import EarlyStoppingMisconfigured, MissingEarlyStopping
from ftlint.rules.fairness import (
    DemographicTermSkew,
    GroupUnderrepresented,
    LabelDisparity,
    UnauditedSensitiveContent,
)
from ftlint.rules.format import (
    ChatStructure,
    EmptyField,
    SchemaMismatch,
    UnreadableRecord,
)
from ftlint.rules.hyperparameters import (
    LearningRateOutOfRange,
    NoRegularization,
    ScheduleInconsistent,
    TooManyEpochs,
)
from ftlint.rules.labels import (
    ConflictingLabels,
    InconsistentLabelFormat,
    LikelyMislabeled,
    NearDuplicateConflicts,
    PreferencePairProblems,
)
from ftlint.rules.notices import PluginLoadFailed, StaleBaselineEntry, UnusedSuppression
from ftlint.rules.privacy import PersonalData, Secrets
from ftlint.rules.relevance import (
    LanguageMismatch,
    OffTopicExamples,
    SplitDrift,
    TaskDrift,
)
from ftlint.rules.replies import (
    RefusalBoilerplate,
    ReplyLanguageMismatch,
    TruncatedReply,
)
from ftlint.rules.runconfig import NoCheckpointSaved, TrustRemoteCode
from ftlint.rules.sequence import ChatTemplateMissing, LossMaskProblems, SequenceTooLong
from ftlint.rules.size import ClassImbalance, TooFewExamples, TooFewPerClass
from ftlint.rules.sources import DatasetNotAvailable
from ftlint.rules.splits import SplitMismatch
from ftlint.rules.text import DegenerateText, EncodingProblems, UnfilledPlaceholders
from ftlint.rules.validation import (
    EvaluatesOnTrainingData,
    MissingValidationSplit,
    ValidationTooSmall,
)

BUILTIN_RULES = (
    UnreadableRecord,
    SchemaMismatch,
    EmptyField,
    ChatStructure,
    EncodingProblems,
    InconsistentLabelFormat,
    UnfilledPlaceholders,
    DegenerateText,
    TruncatedReply,
    RefusalBoilerplate,
    ReplyLanguageMismatch,
    DatasetNotAvailable,
    TooFewExamples,
    TooFewPerClass,
    ClassImbalance,
    MissingValidationSplit,
    ValidationTooSmall,
    SplitMismatch,
    ExactDuplicates,
    NearDuplicates,
    SplitLeakage,
    BenchmarkContamination,
    ConflictingLabels,
    LikelyMislabeled,
    PreferencePairProblems,
    NearDuplicateConflicts,
    TaskDrift,
    OffTopicExamples,
    SplitDrift,
    LanguageMismatch,
    GroupUnderrepresented,
    LabelDisparity,
    DemographicTermSkew,
    UnauditedSensitiveContent,
    MissingEarlyStopping,
    SequenceTooLong,
    TooManyEpochs,
    LearningRateOutOfRange,
    NoRegularization,
    EarlyStoppingMisconfigured,
    EvaluatesOnTrainingData,
    DeprecatedOrUnknownKey,
    NoPretrainedBase,
    ChatTemplateMissing,
    LossMaskProblems,
    ScheduleInconsistent,
    EvalMetricMismatch,
    NoHeldOutTest,
    BaseModelTaskMismatch,
    ContextWindowExceeded,
    TokenizerLanguageFit,
    MethodChoice,
    NoCheckpointSaved,
    TrustRemoteCode,
    InvalidConfigValue,
    PersonalData,
    Secrets,
    Overfitting,
    StoppedWhileImproving,
    Underfitting,
    Divergence,
    TooFewEvaluations,
    BestCheckpointNotKept,
    MetricAndLossDisagree,
    LossScaleArtefact,
    LearningRateSchedule,
    DamagedRunLog,
    PluginLoadFailed,
    StaleBaselineEntry,
    UnusedSuppression,
)

__all__ = ["BUILTIN_RULES"]
